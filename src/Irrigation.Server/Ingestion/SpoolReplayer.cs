using System.Buffers.Binary;
using Irrigation.Influx.Write;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// Drains each replica's spool into that replica in order, one spooled batch at a time, committing each once
/// written; one loop per replica, so a replica catching up never holds up another. A loop's first success after an
/// outage marks its replica healthy again, so new batches go straight to it once its spool is empty.
/// </summary>
public sealed class SpoolReplayer : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FsyncInterval = TimeSpan.FromSeconds(1);

    private readonly ReplicaSpools _replicas;
    private readonly ILateTelemetryListener _late;
    private readonly IngestionMetrics _counters;
    private readonly ILogger<SpoolReplayer> _logger;

    public SpoolReplayer(ReplicaSpools replicas, IngestionMetrics counters, ILateTelemetryListener late, ILogger<SpoolReplayer> logger)
    {
        _replicas = replicas;
        _late = late;
        _counters = counters;
        _logger = logger;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_replicas.All.Select(r => Task.Run(() => ReplayAsync(r, stoppingToken), CancellationToken.None)));

    private async Task ReplayAsync(ReplicaSpool target, CancellationToken stoppingToken)
    {
        var spool = target.Spool;
        var replica = target.Replica;
        if (spool.Count > 0)
            _logger.LogInformation("Spool of time-series replica {Replica} holds {Count} batch(es) from before the restart; replaying.", replica.Name, spool.Count);
        var lastFlush = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    wait.CancelAfter(FsyncInterval);
                    try
                    {
                        await spool.WaitForDataAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // Periodic: flush the spool's cursor below.
                    }
                }

                if (System.Diagnostics.Stopwatch.GetElapsedTime(lastFlush) >= FsyncInterval)
                {
                    spool.Flush();
                    lastFlush = System.Diagnostics.Stopwatch.GetTimestamp();
                }

                var records = spool.ReadBatch(1);
                if (records.Count == 0)
                    continue;
                var record = records[0];
                var points = record.Payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(record.Payload) : 0;
                try
                {
                    var result = await target.Writer.WriteAsync(record.Payload.AsMemory(4), points, stoppingToken);
                    spool.Commit(record.Position);
                    _counters.OnReplayed(replica.Index, result.Written);
                    _late.StoredFromSpool();
                    if (result.Dropped > 0)
                        _counters.OnInfluxDropped(result.Dropped);
                    if (replica.MarkHealthy())
                        _logger.LogInformation("Time-series replica {Replica} is back; replaying its spool ({Count} batch(es) left).", replica, spool.Count);
                    if (spool.Count == 0)
                        _logger.LogInformation("Time-series replica {Replica} has caught up: its spool is empty.", replica.Name);
                }
                catch (InfluxWriteException ex)
                {
                    spool.Rewind();
                    _logger.LogDebug("Spool replay for {Replica} waiting: {Reason}", replica.Name, ex.Message);
                    await Task.Delay(RetryDelay, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            spool.Flush();
        }
    }
}
