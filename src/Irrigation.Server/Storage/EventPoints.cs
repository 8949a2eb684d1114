using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Write;

namespace Irrigation.Server.Storage;

/// <summary>
/// Low-rate event points (command outcomes, alarms, availability, plan runs, data loss) for Grafana: one batched,
/// best-effort <see cref="InfluxBatchWriter"/> per time-series replica, so each replica gets every event and a replica
/// that is down delays only its own queue. As with one InfluxDB, a batch a replica still refuses after the write
/// client's retries is lost there (counted and logged); commands and alarms also live in SQLite.
/// </summary>
public sealed class EventPointWriter : IAsyncDisposable
{
    private readonly InfluxBatchWriter[] _writers;

    public EventPointWriter(IReadOnlyList<InfluxBatchWriter> writers)
    {
        ArgumentNullException.ThrowIfNull(writers);
        if (writers.Count == 0)
            throw new ArgumentException("At least one writer is required.", nameof(writers));
        _writers = [.. writers];
    }

    /// <summary>One writer per replica, in configured order.</summary>
    public IReadOnlyList<InfluxBatchWriter> Writers => _writers;

    /// <summary>
    /// Queues the point on every replica's writer at once: a replica whose queue is full (down for long) gets it when
    /// there is room, without holding up the others; completes when every queue has it.
    /// </summary>
    public ValueTask WriteAsync(PointData point, CancellationToken cancellationToken)
    {
        if (_writers.Length == 1)
            return _writers[0].WriteAsync(point, cancellationToken);
        return new ValueTask(Task.WhenAll(_writers.Select(w => w.WriteAsync(point, cancellationToken).AsTask())));
    }

    /// <summary>Sends what every writer has queued and waits for it.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => Task.WhenAll(_writers.Select(w => w.FlushAsync(cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers)
            await writer.DisposeAsync();
    }
}

/// <summary>Queuing without holding up the caller.</summary>
internal static class EventPoints
{
    /// <summary>Queues the point for every replica; a point that cannot be queued is logged, never thrown at the caller.</summary>
    public static void Enqueue(this EventPointWriter writer, PointData point, ILogger logger) =>
        _ = writer.WriteAsync(point, CancellationToken.None).AsTask().ContinueWith(
            t => logger.LogWarning(t.Exception, "{Measurement} event not queued for InfluxDB.", point.Measurement),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
}
