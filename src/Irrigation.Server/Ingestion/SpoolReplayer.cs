using System.Buffers.Binary;
using Irrigation.Influx.Write;
using Irrigation.Spool;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// Drains the spool into InfluxDB in order, one spooled batch at a time, committing each once written. Its first
/// success after an outage marks InfluxDB healthy again, so new batches go straight to it once the spool is empty.
/// </summary>
public sealed class SpoolReplayer : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FsyncInterval = TimeSpan.FromSeconds(1);

    private readonly DurableQueue _spool;
    private readonly ILateTelemetryListener _late;
    private readonly InfluxWriteClient _influx;
    private readonly IngestionService _ingestion;
    private readonly IngestionMetrics _counters;
    private readonly ILogger<SpoolReplayer> _logger;

    public SpoolReplayer(DurableQueue spool, InfluxWriteClient influx, IngestionService ingestion, IngestionMetrics counters, ILateTelemetryListener late, ILogger<SpoolReplayer> logger)
    {
        _late = late;
        _spool = spool;
        _influx = influx;
        _ingestion = ingestion;
        _counters = counters;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_spool.Count > 0)
            _logger.LogInformation("Spool holds {Count} batch(es) from before the restart; replaying.", _spool.Count);
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
                        await _spool.WaitForDataAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // Periodic: flush the spool's cursor below.
                    }
                }

                if (System.Diagnostics.Stopwatch.GetElapsedTime(lastFlush) >= FsyncInterval)
                {
                    _spool.Flush();
                    lastFlush = System.Diagnostics.Stopwatch.GetTimestamp();
                }

                var records = _spool.ReadBatch(1);
                if (records.Count == 0)
                    continue;
                var record = records[0];
                var points = record.Payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(record.Payload) : 0;
                try
                {
                    var result = await _influx.WriteAsync(record.Payload.AsMemory(4), points, stoppingToken);
                    _spool.Commit(record.Position);
                    _counters.OnReplayed(result.Written);
                    _late.StoredFromSpool();
                    if (result.Dropped > 0)
                        _counters.OnInfluxDropped(result.Dropped);
                    if (!_ingestion.InfluxHealthy)
                    {
                        _logger.LogInformation("InfluxDB is back; replaying the spool ({Count} batch(es) left).", _spool.Count);
                        _ingestion.InfluxHealthy = true;
                    }
                }
                catch (InfluxWriteException ex)
                {
                    _spool.Rewind();
                    _logger.LogDebug("Spool replay waiting for InfluxDB: {Reason}", ex.Message);
                    await Task.Delay(RetryDelay, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _spool.Flush();
        }
    }
}
