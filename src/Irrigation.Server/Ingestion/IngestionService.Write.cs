using System.Buffers.Binary;
using Irrigation.Influx.Write;

namespace Irrigation.Server.Ingestion;

// The write side: each full batch goes to InfluxDB, or to the spool, and only then are its messages acknowledged.
public sealed partial class IngestionService
{
    private static readonly TimeSpan SpoolFullWait = TimeSpan.FromMilliseconds(500);

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var batch in _full.Reader.ReadAllAsync(CancellationToken.None))
            {
                if (batch.Points > 0 && !await StoreAsync(batch, stoppingToken))
                    return; // stopping before the batch was durable: its messages stay unacknowledged and are redelivered
                if (batch.Sequences.Count > 0 && _inbox.SeesWholeStream)
                    _sequences.Stored(batch.Sequences); // durable now: completeness may count them (a share of the stream is counted by StationViewFeed)
                await _inbox.AckAsync(batch.Messages, CancellationToken.None); // in order, one socket write per 4,096 PUBACKs
                batch.Reset();
                _free.Writer.TryWrite(batch);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Write loop stopping.");
        }
    }

    /// <summary>Makes the batch durable: InfluxDB when healthy and nothing is spooled ahead of it, else the spool.</summary>
    private async Task<bool> StoreAsync(IngestBatch batch, CancellationToken stoppingToken)
    {
        if (_influxHealthy && _spool.Count == 0)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            attempt.CancelAfter(_options.WriteAttemptTimeout);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var result = await _influx.WriteAsync(batch.Lines, batch.Points, attempt.Token);
                _counters.OnWritten(result.Written, batch.Fields, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                if (result.Dropped > 0)
                {
                    _counters.OnInfluxDropped(result.Dropped);
                    foreach (var drop in result.Drops)
                        _logger.LogWarning("InfluxDB refused {Count} point(s) ({Reason}): {Message}", drop.Count, drop.Reason, drop.Message);
                }

                foreach (var (station, ts) in batch.Late)
                    _late.Stored(station, ts); // a spooled batch counts when the spool reaches InfluxDB
                return true;
            }
            catch (Exception ex) when (ex is InfluxWriteException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                _influxHealthy = false;
                _logger.LogWarning("InfluxDB write failed ({Reason}); batches go to the spool until it recovers.", ex is OperationCanceledException ? $"no answer within {_options.WriteAttemptTimeout.TotalSeconds:0} s" : ex.Message);
            }
        }

        return await SpoolAsync(batch, stoppingToken);
    }

    /// <summary>Appends the batch to the spool as [u32 points][line protocol]; waits (back-pressure) while the spool is full.</summary>
    private async Task<bool> SpoolAsync(IngestBatch batch, CancellationToken stoppingToken)
    {
        var lines = batch.Lines.Span;
        var record = new byte[4 + lines.Length];
        BinaryPrimitives.WriteInt32LittleEndian(record, batch.Points);
        lines.CopyTo(record.AsSpan(4));
        var warned = false;
        while (!_spool.TryAppend(record))
        {
            if (!warned)
            {
                _logger.LogError("Spool {Directory} is full ({Bytes} bytes): acknowledgements stop and the broker holds new telemetry until InfluxDB catches up.", _spool.Directory, _spool.Bytes);
                warned = true;
            }

            try
            {
                await Task.Delay(SpoolFullWait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        _counters.OnSpooled(batch.Points);
        return true;
    }
}
