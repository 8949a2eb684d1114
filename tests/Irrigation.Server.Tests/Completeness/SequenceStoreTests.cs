using Irrigation.Contracts;
using Irrigation.Server.Completeness;
using Irrigation.Server.Data;
using Irrigation.Server.Tests.Data;

namespace Irrigation.Server.Tests.Completeness;

/// <summary>The completeness tracking's saved state on both engines: streams replaced by their latest save, losses kept newest first.</summary>
public abstract class SequenceStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : SequenceStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : SequenceStoreTests(DatabaseProvider.PostgreSql);

    private static StationCompleteness Stream(string station, long contiguous, IReadOnlyList<SequenceRange> received, long updated) =>
        new(station, "e1", "gw1", contiguous, received.Count > 0 ? received[^1].To : contiguous, received, 0, 5_000, 6_000, 2, 10, 3, updated);

    [Fact]
    public void Save_Twice_LoadGivesTheLatest_LossesNewestFirstPerStation()
    {
        var store = new SequenceStore(Database);
        store.Save([Stream("st001", 100, [new SequenceRange(105, 110)], 1_000)], [new DataLoss("st001", "e1", "gw1", new SequenceRange(50, 59), 10, "not in the gateway's history", 1_000)]);
        store.Save([Stream("st001", 120, [], 2_000), Stream("st002", 7, [], 2_000)], [new DataLoss("st002", "e1", null, new SequenceRange(1, 2), 2, "epoch changed", 2_000)]);

        var loaded = new SequenceStore(Reopen()).Load().OrderBy(s => s.Station, StringComparer.Ordinal).ToList();
        Assert.Equal([("st001", 120L, 2_000L), ("st002", 7L, 2_000L)], loaded.Select(s => (s.Station, s.Contiguous, s.UpdatedMs)));
        Assert.Empty(loaded[0].Received);
        Assert.Equal((2, 10L, 3L), (loaded[0].Requests, loaded[0].Repaired, loaded[0].Lost));
        Assert.Equal(["st002", "st001"], store.Losses(null, 10).Select(l => l.Station));
        var loss = Assert.Single(store.Losses("st001", 10));
        Assert.Equal((new SequenceRange(50, 59), 10L, "gw1"), (loss.Range, loss.Messages, loss.Gateway));
        Assert.Null(Assert.Single(store.Losses("st002", 10)).Gateway);
    }
}
