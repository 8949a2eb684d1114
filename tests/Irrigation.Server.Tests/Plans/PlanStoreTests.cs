using Irrigation.Contracts;
using Irrigation.Server.Data;
using Irrigation.Server.Plans;
using Irrigation.Server.Tests.Data;

namespace Irrigation.Server.Tests.Plans;

/// <summary>Plans on both engines: revisions counted by the database, the plan-set version only grows, even with instances editing at once.</summary>
public abstract class PlanStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : PlanStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : PlanStoreTests(DatabaseProvider.PostgreSql);

    private static IrrigationPlan Plan(string id, string name) => new(
        id, name, PlanMode.Rotation, new DateOnly(2026, 4, 1), new DateOnly(2026, 10, 31), [1, 3, 5], new TimeOnly(6, 0), 30, [new PlanStep("st001", 1, 600)]);

    [Fact]
    public void Save_Change_Delete_RevisionsAndVersionGrow()
    {
        var store = new PlanStore(Database);
        Assert.Equal(0, store.Version());
        Assert.Equal(1, store.Save(Plan("p1", "早灌"), "created", "admin", 1_000, created: true).Revision);
        Assert.Equal(2, store.Save(Plan("p1", "早灌 二"), "changed", "admin", 2_000, created: false).Revision);
        Assert.Throws<KeyNotFoundException>(() => store.Save(Plan("p9", "无"), "changed", "admin", 2_000, created: false));
        Assert.True(store.Delete("p1", "admin", 3_000));
        Assert.False(store.Delete("p1", "admin", 4_000));

        Assert.Equal(3, store.Version());
        Assert.Equal([(3L, "deleted"), (2L, "changed"), (1L, "created")], store.Revisions("p1").Select(r => (r.Revision, r.Change)));
        Assert.Equal("早灌 二", store.Revisions("p1")[0].Plan?.Name);
        Assert.Empty(store.All());
    }

    [Fact]
    public async Task Save_InstancesEditingOnePlanAtOnce_EveryEditItsOwnRevision_VersionCountsThemAll()
    {
        new PlanStore(Database).Save(Plan("p1", "早灌"), "created", "admin", 1_000, created: true);
        var stores = Enumerable.Range(0, 4).Select(_ => new PlanStore(Reopen())).ToList();
        using var start = new Barrier(stores.Count);
        var saved = await Task.WhenAll(stores.Select((store, i) => Task.Run(() =>
        {
            start.SignalAndWait();
            return Enumerable.Range(0, 10).Select(n => store.Save(Plan("p1", $"早灌 {i}-{n}"), "changed", $"admin{i}", 2_000 + n, created: false).Revision).ToList();
        })));

        Assert.Equal(Enumerable.Range(2, 40).Select(r => (long)r), saved.SelectMany(r => r).Order());
        var reader = new PlanStore(Reopen());
        Assert.Equal(41, reader.Version());
        var revisions = reader.Revisions("p1");
        Assert.Equal(41, revisions.Count);
        // Sequence order is revision order: each change's seq was taken and committed in turn.
        Assert.Equal(revisions.OrderBy(r => r.Seq).Select(r => r.Revision), revisions.OrderBy(r => r.Revision).Select(r => r.Revision));
        Assert.Equal(41, reader.Get("p1")!.Plan.Revision);
    }

    [Fact]
    public void SaveRun_AgainWithTheOutcome_Replaced_SentAndAcknowledged()
    {
        var store = new PlanStore(Database);
        var run = new PlanRunView("r1", "p1", 3, "st001", 1, "gw1", 10_000, PlanRunStates.Running, "succeeded", null, null, 10_100, null, null, null, null, 12.5, null, 10_100);
        store.SaveRun(run);
        store.SaveRun(run with { State = PlanRunStates.Completed, StopOutcome = "succeeded", StoppedAt = 20_000, EnergyEnd = 14.0, UpdatedAt = 20_000 });
        var reread = store.Run("r1")!;
        Assert.Equal((PlanRunStates.Completed, 20_000L, 1.5), (reread.State, reread.StoppedAt!.Value, reread.EnergyKwh!.Value));
        Assert.Single(store.Runs("p1", null, 0, 100_000, 10));

        store.Sent("gw1", 3, "hash3", 5_000);
        store.Sent("gw1", 4, "hash4", 6_000);
        Assert.Equal("hash4", store.SentHash("gw1"));
        var set = Assert.Single(store.Sets());
        Assert.Equal((4L, 0L, true), (set.Version, set.RunningVersion, set.Behind));
    }
}
