using Irrigation.Server.Commands;
using Irrigation.Server.Data;
using Irrigation.Server.Tests.Data;

namespace Irrigation.Server.Tests.Commands;

/// <summary>Pump commands on both engines: one command per idempotency key and one open command per pump, also when instances race.</summary>
public abstract class CommandStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : CommandStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : CommandStoreTests(DatabaseProvider.PostgreSql);

    [Fact]
    public void Create_SameKeyAgain_Existing_OtherActionKeyReused_OtherKeyPumpBusy()
    {
        var store = new CommandStore(Database);
        var (created, command) = store.Create("k1", "operator", "st001", 1, "start", 1_000, 61_000);
        Assert.Equal(CreateCommandOutcome.Created, created);
        Assert.Equal((CreateCommandOutcome.Existing, command!.Id), store.Create("k1", "operator", "st001", 1, "start", 2_000, 62_000) is var (o1, c1) ? (o1, c1!.Id) : default);
        Assert.Equal(CreateCommandOutcome.KeyReused, store.Create("k1", "operator", "st001", 1, "stop", 2_000, 62_000).Outcome);
        var (busy, open) = store.Create("k2", "operator", "st001", 1, "stop", 2_000, 62_000);
        Assert.Equal((CreateCommandOutcome.PumpBusy, command.Id), (busy, open!.Id));

        Assert.NotNull(store.Transition(command.Id, [CommandStates.Pending], CommandStates.Sent, null, null, 3_000));
        Assert.Null(store.Transition(command.Id, [CommandStates.Pending], CommandStates.Sent, null, null, 3_000)); // not pending any more
        Assert.Equal(CreateCommandOutcome.PumpBusy, store.Create("k3", "operator", "st001", 1, "stop", 4_000, 64_000).Outcome);
        Assert.Equal(CreateCommandOutcome.Created, store.Create("k3", "operator", "st001", 2, "start", 4_000, 64_000).Outcome); // another pump
    }

    [Fact]
    public async Task Create_InstancesRacingForOnePump_OneCreated_OthersPumpBusy()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => new CommandStore(Reopen())).ToList();
        for (var round = 0; round < 10; round++)
        {
            using var start = new Barrier(stores.Count);
            var results = await Task.WhenAll(stores.Select((store, i) => Task.Run(() =>
            {
                start.SignalAndWait();
                return store.Create($"r{round}-u{i}", $"user{i}", "st001", 1, "start", 1_000 + round, 61_000);
            })));
            var created = Assert.Single(results, r => r.Outcome == CreateCommandOutcome.Created);
            Assert.All(results.Where(r => r.Outcome != CreateCommandOutcome.Created), r => Assert.Equal(CreateCommandOutcome.PumpBusy, r.Outcome));
            Assert.NotNull(stores[0].Transition(created.Command!.Id, [CommandStates.Pending], CommandStates.Succeeded, null, null, 2_000 + round));
        }

        Assert.Empty(stores[0].Open());
        Assert.Equal(10, stores[0].Recent("st001", 100).Count);
    }

    [Fact]
    public async Task Create_RetriesWithOneKeyRacing_OneCommand_EveryRetryGetsIt()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => new CommandStore(Reopen())).ToList();
        using var start = new Barrier(stores.Count);
        var results = await Task.WhenAll(stores.Select(store => Task.Run(() =>
        {
            start.SignalAndWait();
            return store.Create("same-key", "operator", "st001", 3, "start", 1_000, 61_000);
        })));
        var created = Assert.Single(results, r => r.Outcome == CreateCommandOutcome.Created);
        Assert.All(results, r => Assert.Equal(created.Command!.Id, r.Command!.Id));
        Assert.All(results.Where(r => r.Outcome != CreateCommandOutcome.Created), r => Assert.Equal(CreateCommandOutcome.Existing, r.Outcome));
    }
}
