using System.Buffers.Binary;
using Irrigation.Influx.Write;

namespace Irrigation.Server.Ingestion;

// The write side: each full batch goes to every replica — written, or appended to that replica's spool — and only
// then are its messages acknowledged.
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

    /// <summary>
    /// Makes the batch durable on every replica at once, so a slow or failing replica (which ends in its spool) costs
    /// the others nothing but the wait for its first failed attempt. False when stopping before it was durable on all:
    /// the messages are redelivered, and a replica that already has the batch gets the same points again (overwritten).
    /// </summary>
    private async Task<bool> StoreAsync(IngestBatch batch, CancellationToken stoppingToken)
    {
        var replicas = _replicas.All;
        bool written;
        if (replicas.Count == 1)
        {
            var outcome = await StoreOnAsync(replicas[0], batch, stoppingToken);
            if (!outcome.Durable)
                return false;
            written = outcome.Written;
        }
        else
        {
            var outcomes = await Task.WhenAll(replicas.Select(r => StoreOnAsync(r, batch, stoppingToken)));
            if (outcomes.Any(o => !o.Durable))
                return false;
            written = outcomes.Any(o => o.Written);
        }

        // Queries go to a replica that has this batch only when one wrote it now; a spooled batch counts when its spool is replayed.
        if (written)
        {
            foreach (var (station, ts) in batch.Late)
                _late.Stored(station, ts);
        }

        return true;
    }

    /// <summary>One replica: written when it is healthy and nothing is spooled ahead of the batch, else its spool.</summary>
    private async Task<(bool Durable, bool Written)> StoreOnAsync(ReplicaSpool target, IngestBatch batch, CancellationToken stoppingToken)
    {
        var replica = target.Replica;
        if (replica.Healthy && target.Spool.Count == 0)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            attempt.CancelAfter(_options.WriteAttemptTimeout);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var result = await target.Writer.WriteAsync(batch.Lines, batch.Points, attempt.Token);
                _counters.OnWritten(replica.Index, result.Written, batch.Fields, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                if (result.Dropped > 0)
                {
                    _counters.OnInfluxDropped(result.Dropped);
                    foreach (var drop in result.Drops)
                        _logger.LogWarning("Time-series replica {Replica} refused {Count} point(s) ({Reason}): {Message}", replica.Name, drop.Count, drop.Reason, drop.Message);
                }

                return (true, true);
            }
            catch (Exception ex) when (ex is InfluxWriteException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                if (replica.MarkUnhealthy())
                {
                    _logger.LogWarning("InfluxDB write to time-series replica {Replica} failed ({Reason}); its batches go to its spool until it recovers.",
                        replica, ex is OperationCanceledException ? $"no answer within {_options.WriteAttemptTimeout.TotalSeconds:0} s" : ex.Message);
                }
            }
        }

        return (await SpoolAsync(target, batch, stoppingToken), false);
    }

    /// <summary>Appends the batch to the replica's spool as [u32 points][line protocol]; waits (back-pressure) while that spool is full.</summary>
    private async Task<bool> SpoolAsync(ReplicaSpool target, IngestBatch batch, CancellationToken stoppingToken)
    {
        var spool = target.Spool;
        var lines = batch.Lines.Span;
        var record = new byte[4 + lines.Length];
        BinaryPrimitives.WriteInt32LittleEndian(record, batch.Points);
        lines.CopyTo(record.AsSpan(4));
        var warned = false;
        while (!spool.TryAppend(record))
        {
            if (!warned)
            {
                _logger.LogError("Spool {Directory} of time-series replica {Replica} is full ({Bytes} bytes): acknowledgements stop and the broker holds new telemetry until that replica catches up.",
                    spool.Directory, target.Replica.Name, spool.Bytes);
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

        _counters.OnSpooled(target.Replica.Index, batch.Points);
        return true;
    }
}
