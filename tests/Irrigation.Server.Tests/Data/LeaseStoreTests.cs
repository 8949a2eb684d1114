using Irrigation.Server.Data;

namespace Irrigation.Server.Tests.Data;

/// <summary>Leases for once-only work, on both engines: one holder at a time, hand-over only after expiry, fencing by generation.</summary>
public abstract class LeaseStoreTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : LeaseStoreTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : LeaseStoreTests(DatabaseProvider.PostgreSql);

    private static readonly TimeSpan Long = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task TryAcquireOrRenew_OwnersRacing_ExactlyOneHoldsIt()
    {
        var stores = Enumerable.Range(0, 6).Select(_ => new LeaseStore(Reopen())).ToList();
        for (var round = 0; round < 10; round++)
        {
            var name = $"sweep-{round}";
            using var start = new Barrier(stores.Count);
            var grants = await Task.WhenAll(stores.Select((store, i) => Task.Run(() =>
            {
                start.SignalAndWait();
                return store.TryAcquireOrRenew(name, $"instance-{i}", Long);
            })));
            var holder = Assert.Single(grants, g => g.Held);
            Assert.Equal(1, holder.Generation);
            Assert.All(grants.Where(g => !g.Held), g => Assert.Equal((holder.Owner, 1L), (g.Owner, g.Generation)));
        }
    }

    [Fact]
    public void TryAcquireOrRenew_Holder_RenewsWithTheSameGeneration_OthersRefused()
    {
        var leases = new LeaseStore(Database);
        var first = leases.TryAcquireOrRenew("reports", "a", Long);
        var renewed = leases.TryAcquireOrRenew("reports", "a", Long);
        var other = leases.TryAcquireOrRenew("reports", "b", Long);

        Assert.Equal((true, 1L), (first.Held, first.Generation));
        Assert.Equal((true, 1L), (renewed.Held, renewed.Generation));
        Assert.True(renewed.ExpiresAtMs >= first.ExpiresAtMs);
        Assert.Equal((false, 1L, "a"), (other.Held, other.Generation, other.Owner));
        Assert.True(leases.IsCurrent("reports", 1));
    }

    [Fact]
    public async Task TryAcquireOrRenew_AfterExpiry_TakenOverWithTheNextGeneration_OldHolderFenced()
    {
        var a = new LeaseStore(Database);
        var b = new LeaseStore(Reopen());
        Assert.True(a.TryAcquireOrRenew("sweep", "a", TimeSpan.FromMilliseconds(300)).Held);
        Assert.False(b.TryAcquireOrRenew("sweep", "b", Long).Held); // not before it expires

        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(a.IsCurrent("sweep", 1)); // lapsed: the old holder must not act on it any more
        var taken = b.TryAcquireOrRenew("sweep", "b", Long);

        Assert.Equal((true, 2L), (taken.Held, taken.Generation));
        Assert.False(a.IsCurrent("sweep", 1));
        Assert.True(b.IsCurrent("sweep", 2));
        var late = a.TryAcquireOrRenew("sweep", "a", Long); // the old holder wakes up and tries to renew
        Assert.Equal((false, 2L, "b"), (late.Held, late.Generation, late.Owner));
    }

    [Fact]
    public void Release_EndsItAtOnce_NextTakerGetsTheNextGeneration_OnlyTheHolderReleases()
    {
        var leases = new LeaseStore(Database);
        Assert.True(leases.TryAcquireOrRenew("sweep", "a", Long).Held);
        Assert.False(leases.Release("sweep", "b"));
        Assert.True(leases.Release("sweep", "a"));
        Assert.False(leases.Release("sweep", "a")); // already released
        Assert.False(leases.IsCurrent("sweep", 1));

        var next = leases.TryAcquireOrRenew("sweep", "b", Long);
        Assert.Equal((true, 2L), (next.Held, next.Generation));
        var again = leases.TryAcquireOrRenew("sweep", "b", Long);
        Assert.Equal((true, 2L), (again.Held, again.Generation));
    }

    [Fact]
    public void TryAcquireOrRenew_BadDuration_Refused()
    {
        var leases = new LeaseStore(Database);
        Assert.Throws<ArgumentOutOfRangeException>(() => leases.TryAcquireOrRenew("sweep", "a", TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => leases.TryAcquireOrRenew("sweep", "a", LeaseStore.MaxDuration + TimeSpan.FromSeconds(1)));
    }
}
