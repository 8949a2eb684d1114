using Irrigation.Server.Alarms;
using Irrigation.Server.Data;

namespace Irrigation.Server.Tests;

/// <summary>The alarm history in a real SQLite file.</summary>
public sealed class AlarmStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "irrigation-alarmstore-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly AlarmStore _store;

    public AlarmStoreTests()
    {
        Directory.CreateDirectory(_directory);
        var database = new ServerDatabase(Path.Combine(_directory, "irrigation.db"));
        database.Migrate();
        _store = new AlarmStore(database);
    }

    [Fact]
    public void Query_Limit_CutsHistoryNeverAnOldAlarmThatIsStillOpen()
    {
        var rule = AlarmRules.All.First(r => r.Id == AlarmRules.CommsLost);
        var old = _store.Raise("st001", "城东机埠", rule, null, rule.Id, AlarmMessage.Of("comms_lost"), 1, nowMs: 1_000);
        for (var i = 0; i < 5; i++)
        {
            _store.Raise("st002", "城西机埠", rule, null, rule.Id, AlarmMessage.Of("comms_lost"), 1, nowMs: 10_000 + i);
            Assert.NotNull(_store.Clear("st002", rule.Id, nowMs: 20_000 + i));
        }

        var page = _store.Query(station: null, state: null, fromMs: null, toMs: null, limit: 3);

        Assert.Equal(3, page.Count);
        Assert.Equal(old.Id, page[0].Id); // raised long before the cleared ones, still first
        Assert.Equal([10_004L, 10_003L], page.Skip(1).Select(a => a.RaisedAt));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
