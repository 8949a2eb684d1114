using Irrigation.Server.Alarms;
using Irrigation.Server.Data;
using Irrigation.Server.Tests.Data;

namespace Irrigation.Server.Tests;

/// <summary>The alarm history in a real database, on both engines.</summary>
public abstract class AlarmStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : AlarmStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : AlarmStoreTests(DatabaseProvider.PostgreSql);

    private static readonly AlarmRule CommsLost = AlarmRules.All.First(r => r.Id == AlarmRules.CommsLost);

    [Fact]
    public void Query_Limit_CutsHistoryNeverAnOldAlarmThatIsStillOpen()
    {
        var store = new AlarmStore(Database);
        var old = store.Raise("st001", "城东机埠", CommsLost, null, CommsLost.Id, AlarmMessage.Of("comms_lost"), 1, nowMs: 1_000);
        for (var i = 0; i < 5; i++)
        {
            store.Raise("st002", "城西机埠", CommsLost, null, CommsLost.Id, AlarmMessage.Of("comms_lost"), 1, nowMs: 10_000 + i);
            Assert.NotNull(store.Clear("st002", CommsLost.Id, nowMs: 20_000 + i));
        }

        var page = store.Query(station: null, state: null, fromMs: null, toMs: null, limit: 3);

        Assert.Equal(3, page.Count);
        Assert.Equal(old!.Id, page[0].Id); // raised long before the cleared ones, still first
        Assert.Equal([10_004L, 10_003L], page.Skip(1).Select(a => a.RaisedAt));
    }

    [Fact]
    public async Task Raise_TwoInstancesAtOnce_OneOpenAlarmPerCondition()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => new AlarmStore(Reopen())).ToList();
        for (var round = 0; round < 10; round++)
        {
            using var start = new Barrier(stores.Count);
            var raised = await Task.WhenAll(stores.Select(s => Task.Run(() =>
            {
                start.SignalAndWait();
                return s.Raise("st001", "城东机埠", CommsLost, null, CommsLost.Id, AlarmMessage.Of("comms_lost"), 1, nowMs: 1_000 + round);
            })));
            Assert.Single(raised, a => a is not null);
            Assert.NotNull(stores[0].Clear("st001", CommsLost.Id, nowMs: 2_000 + round));
        }

        Assert.Equal(10, stores[0].Raised("st001", 0, 10_000).Count);
        Assert.Empty(stores[0].Open());
    }

    [Fact]
    public void Acknowledge_Twice_SecondIsNull_DeliveriesKeptInOrder()
    {
        var store = new AlarmStore(Database);
        var alarm = store.Raise("st001", "城东机埠", CommsLost, 2, CommsLost.Id, AlarmMessage.Of("comms_lost"), 1.5, nowMs: 1_000)!;
        Assert.Equal("acknowledged", store.Acknowledge(alarm.Id, "operator", "看过了", 2_000)?.State);
        Assert.Null(store.Acknowledge(alarm.Id, "operator", "again", 3_000));
        store.RecordDelivery(alarm.Id, "raised", "http://127.0.0.1/hook", "json", 1, 1_100, 500, "failed", "HTTP 500");
        store.RecordDelivery(alarm.Id, "raised", "http://127.0.0.1/hook", "json", 2, 1_200, 200, "delivered", null);
        var reread = store.Get(alarm.Id)!;
        Assert.Equal((2, 1.5, "operator", 2_000L), (reread.Pump!.Value, reread.Value, reread.AcknowledgedBy, reread.AcknowledgedAt!.Value));
        Assert.Equal([(1, (int?)500), (2, 200)], store.Deliveries(alarm.Id).Select(d => (d.Attempt, d.HttpStatus)));
    }
}
