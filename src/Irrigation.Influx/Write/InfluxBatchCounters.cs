namespace Irrigation.Influx.Write;

/// <summary>What an <see cref="InfluxBatchWriter"/> has done so far. Thread-safe to read at any time.</summary>
public sealed class InfluxBatchCounters
{
    private readonly long[] _dropped = new long[Enum.GetValues<InfluxDropReason>().Length];
    private long _pointsQueued;
    private long _pointsWritten;
    private long _pointsOmitted;
    private long _fieldsSkipped;
    private long _batches;
    private long _failedBatches;
    private long _requests;
    private long _retries;
    private long _lastBatchLatencyTicks;

    /// <summary>Points accepted by <see cref="InfluxBatchWriter.WriteAsync"/>.</summary>
    public long PointsQueued => Interlocked.Read(ref _pointsQueued);

    /// <summary>Points the server stored.</summary>
    public long PointsWritten => Interlocked.Read(ref _pointsWritten);

    /// <summary>Points left out before sending because no field could be written (all NaN, say).</summary>
    public long PointsOmitted => Interlocked.Read(ref _pointsOmitted);

    /// <summary>Fields left out before sending (NaN/infinite floats, strings with a line feed...).</summary>
    public long FieldsSkipped => Interlocked.Read(ref _fieldsSkipped);

    /// <summary>Batches sent (whatever their outcome).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Batches that could not be written at all; their points are counted as <see cref="InfluxDropReason.WriteFailed"/>.</summary>
    public long FailedBatches => Interlocked.Read(ref _failedBatches);

    public long Requests => Interlocked.Read(ref _requests);

    public long Retries => Interlocked.Read(ref _retries);

    public TimeSpan LastBatchLatency => TimeSpan.FromTicks(Interlocked.Read(ref _lastBatchLatencyTicks));

    /// <summary>Points lost for <paramref name="reason"/>.</summary>
    public long Dropped(InfluxDropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    public long TotalDropped => Enum.GetValues<InfluxDropReason>().Sum(Dropped);

    internal void Queued() => Interlocked.Increment(ref _pointsQueued);

    internal void Omitted() => Interlocked.Increment(ref _pointsOmitted);

    internal void SkippedFields(long count) => Interlocked.Add(ref _fieldsSkipped, count);

    internal void Drop(InfluxDropReason reason, long count) => Interlocked.Add(ref _dropped[(int)reason], count);

    internal void Batch(InfluxWriteResult result, TimeSpan latency)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _pointsWritten, result.Written);
        Interlocked.Add(ref _requests, result.Requests);
        Interlocked.Add(ref _retries, result.Retries);
        foreach (var drop in result.Drops)
            Drop(drop.Reason, drop.Count);
        Interlocked.Exchange(ref _lastBatchLatencyTicks, latency.Ticks);
    }

    internal void FailedBatch(int points, TimeSpan latency)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Increment(ref _failedBatches);
        Drop(InfluxDropReason.WriteFailed, points);
        Interlocked.Exchange(ref _lastBatchLatencyTicks, latency.Ticks);
    }

    public override string ToString() =>
        $"queued={PointsQueued} written={PointsWritten} omitted={PointsOmitted} fieldsSkipped={FieldsSkipped} batches={Batches} failedBatches={FailedBatches} requests={Requests} retries={Retries} lastLatency={LastBatchLatency.TotalMilliseconds:0}ms " +
        string.Join(' ', Enum.GetValues<InfluxDropReason>().Select(r => $"dropped.{r}={Dropped(r)}"));
}
