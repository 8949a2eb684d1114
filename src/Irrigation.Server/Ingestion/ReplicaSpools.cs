using Irrigation.Influx.Write;
using Irrigation.Server.Storage;
using Irrigation.Spool;

namespace Irrigation.Server.Ingestion;

/// <summary>One time-series replica as ingestion writes to it: its write client and its own spool.</summary>
public sealed class ReplicaSpool : IDisposable
{
    public ReplicaSpool(TimeSeriesReplica replica, InfluxWriteClient writer, DurableQueue spool)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(spool);
        Replica = replica;
        Writer = writer;
        Spool = spool;
        replica.TrackSpool(() => spool.Count);
    }

    public TimeSeriesReplica Replica { get; }

    public InfluxWriteClient Writer { get; }

    /// <summary>Batches acknowledged to the broker and not yet written to this replica, in order.</summary>
    public DurableQueue Spool { get; }

    public void Dispose()
    {
        Writer.Dispose();
        Spool.Dispose();
    }
}

/// <summary>Every replica's write client and spool, in configured order (a batch is durable when each has it).</summary>
public sealed class ReplicaSpools : IDisposable
{
    public ReplicaSpools(IReadOnlyList<ReplicaSpool> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        if (all.Count == 0)
            throw new ArgumentException("At least one replica is required.", nameof(all));
        All = [.. all];
    }

    public IReadOnlyList<ReplicaSpool> All { get; }

    /// <summary>
    /// The spool directory of a replica under the data directory: <c>spool</c> for the single replica made from
    /// <c>Irrigation:Influx:Url</c> (as before replicas existed), <c>spool-{name}</c> for each listed replica, so a
    /// spool always belongs to the replica of that name, whatever the order of the list.
    /// </summary>
    public static string DirectoryOf(string dataPath, TimeSeriesReplica replica, bool listed)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Path.Combine(dataPath, listed ? "spool-" + replica.Name : "spool");
    }

    public void Dispose()
    {
        foreach (var replica in All)
            replica.Dispose();
    }
}
