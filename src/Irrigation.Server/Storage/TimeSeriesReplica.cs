using Irrigation.Influx.Query;
using Irrigation.Influx.Write;

namespace Irrigation.Server.Storage;

/// <summary>
/// One time-series database that receives every batch, and what the server knows of it: whether its last write
/// succeeded, and how many batches wait for it in its spool (reported by ingestion, which owns the spool).
/// </summary>
public sealed class TimeSeriesReplica
{
    private readonly bool _gzip;
    private volatile bool _healthy = true;
    private Func<long> _pendingBatches = static () => 0;
    private long _queryFailovers;

    public TimeSeriesReplica(int index, InfluxReplicaOptions options, bool gzip)
    {
        ArgumentNullException.ThrowIfNull(options);
        Index = index;
        Options = options;
        _gzip = gzip;
    }

    /// <summary>Position in the configuration: 0 is preferred for queries.</summary>
    public int Index { get; }

    public string Name => Options.Name;

    /// <summary>Url, database and credentials (already filled in from <c>Irrigation:Influx</c>).</summary>
    public InfluxReplicaOptions Options { get; }

    /// <summary>True while the last write to this replica succeeded (true at start, until a write fails).</summary>
    public bool Healthy => _healthy;

    /// <summary>Batches spooled for this replica and not yet written to it.</summary>
    public long PendingBatches => _pendingBatches();

    /// <summary>Has every acknowledged batch: healthy and nothing waiting in its spool. Only these answer queries while any does.</summary>
    public bool CaughtUp => _healthy && PendingBatches == 0;

    /// <summary>Queries that could not reach this replica and went to the next one.</summary>
    public long QueryFailovers => Interlocked.Read(ref _queryFailovers);

    public ReplicaState State => new(_healthy, PendingBatches);

    /// <summary>Ingestion reports its spool for this replica here (its batch count, read on each call).</summary>
    public void TrackSpool(Func<long> pendingBatches)
    {
        ArgumentNullException.ThrowIfNull(pendingBatches);
        _pendingBatches = pendingBatches;
    }

    /// <summary>A write succeeded. Returns true when the replica was unhealthy until now.</summary>
    public bool MarkHealthy()
    {
        var was = _healthy;
        _healthy = true;
        return !was;
    }

    /// <summary>A write failed. Returns true when the replica was healthy until now.</summary>
    public bool MarkUnhealthy()
    {
        var was = _healthy;
        _healthy = false;
        return was;
    }

    internal void CountQueryFailover() => Interlocked.Increment(ref _queryFailovers);

    /// <summary>Write options for this replica (the caller sets batch size, timeout, retention policy).</summary>
    public InfluxWriteOptions WriteOptions() => new()
    {
        Url = new Uri(Options.Url),
        Database = Options.Database,
        Username = Options.Username,
        Password = Options.Password,
        Token = Options.Token,
        Gzip = _gzip,
    };

    public InfluxQueryOptions QueryOptions() => new()
    {
        Url = new Uri(Options.Url),
        Database = Options.Database,
        Username = Options.Username,
        Password = Options.Password,
        Token = Options.Token,
    };

    public override string ToString() => $"{Name} ({new Uri(Options.Url).GetLeftPart(UriPartial.Authority)} {Options.Database})";
}

/// <summary>What the query rule looks at: the last write's outcome and the replica's spooled batches.</summary>
public readonly record struct ReplicaState(bool Healthy, long PendingBatches)
{
    public bool CaughtUp => Healthy && PendingBatches == 0;
}
