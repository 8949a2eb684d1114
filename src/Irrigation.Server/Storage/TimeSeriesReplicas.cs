using Irrigation.Influx.Query;

namespace Irrigation.Server.Storage;

/// <summary>
/// The configured time-series replicas (<see cref="ServerInfluxOptions.EffectiveReplicas"/>), in configured order,
/// and the rule that picks the one a query goes to (docs/scale-out.md, "Time series").
/// </summary>
public sealed class TimeSeriesReplicas
{
    public TimeSeriesReplicas(ServerInfluxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        All = options.EffectiveReplicas().Select((r, i) => new TimeSeriesReplica(i, r, options.Gzip)).ToArray();
    }

    public IReadOnlyList<TimeSeriesReplica> All { get; }

    /// <summary>True when every replica has every acknowledged batch.</summary>
    public bool AllCaughtUp => All.All(r => r.CaughtUp);

    /// <summary>The replicas to query now, best first (<see cref="QueryOrder(IReadOnlyList{ReplicaState})"/>).</summary>
    public IReadOnlyList<int> QueryOrder() => QueryOrder(All.Select(r => r.State).ToArray());

    /// <summary>
    /// The query rule. Caught-up replicas (last write succeeded, spool empty) come first, in configured order, so the
    /// first configured is used whenever it is caught up. The others follow only as a last resort — healthy ones
    /// (catching up from their spool) before failing ones, fewer spooled batches first, then configured order: a
    /// replica that is catching up lacks the newest data, and is asked only when no caught-up replica answers, as a
    /// single InfluxDB is today while its spool drains.
    /// </summary>
    public static int[] QueryOrder(IReadOnlyList<ReplicaState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        return Enumerable.Range(0, states.Count)
            .OrderBy(i => states[i].CaughtUp ? 0 : 1)
            .ThenBy(i => states[i].CaughtUp ? 0 : states[i].Healthy ? 0 : 1)
            .ThenBy(i => states[i].CaughtUp ? 0 : states[i].PendingBatches)
            .ThenBy(i => i)
            .ToArray();
    }

    /// <summary>One query client over every replica, following <see cref="QueryOrder()"/> and failing over on connection errors.</summary>
    public InfluxQueryClient CreateQueryClient(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return new InfluxQueryClient(All.Select(r => r.QueryOptions()).ToList(), QueryOrder, (index, error) =>
        {
            All[index].CountQueryFailover();
            logger.LogWarning("Query to time-series replica {Replica} failed ({Reason}); trying the next replica.", All[index], error.Message);
        });
    }
}
