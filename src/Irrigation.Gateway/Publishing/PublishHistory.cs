using Irrigation.Contracts;
using Irrigation.Gateway.Configuration;
using Irrigation.Spool;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Publishing;

/// <summary>
/// Every telemetry message the gateway published, per station by sequence number, kept on disk for
/// <see cref="HistorySettings.MaxAge"/> (7 days) within <see cref="HistorySettings.MaxBytes"/> — independent of the
/// outbox, which forgets a message as soon as the broker acknowledges it. The server asks for what it never stored
/// (a broker that crashed holding it, a lost session), and <see cref="RepairResponder"/> publishes it again from here.
/// <see cref="Epoch"/> names this gateway's sequence streams: it lives in the data directory with the history, and a
/// gateway that starts without them starts new streams (numbers from 1 again) under a new epoch.
/// </summary>
public sealed class PublishHistory : IDisposable
{
    private const string EpochFile = "epoch";

    private readonly HistoryLog _log;

    private PublishHistory(HistoryLog log, string epoch)
    {
        _log = log;
        Epoch = epoch;
    }

    public string Epoch { get; }

    public long Bytes => _log.Bytes;

    public static PublishHistory Open(GatewayOptions options, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var directory = Path.Combine(options.DataDirectory, "history");
        var log = HistoryLog.Open(
            new HistoryLogOptions { Directory = directory, MaxAge = options.History.MaxAge, MaxBytes = options.History.MaxBytes, SegmentBytes = options.History.SegmentBytes },
            logger, time);
        var path = Path.Combine(options.DataDirectory, EpochFile);
        var epoch = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
        if (!TelemetryEpoch.IsValid(epoch))
        {
            epoch = TelemetryEpoch.New();
            var temp = path + ".tmp";
            File.WriteAllText(temp, epoch + "\n");
            File.Move(temp, path, overwrite: true);
            logger.LogInformation("Telemetry epoch {Epoch}: sequence numbers start afresh in this data directory.", epoch);
        }

        return new PublishHistory(log, epoch);
    }

    public void Record(string station, long sequence, long timestampMs, ReadOnlySpan<byte> payload) =>
        _log.Append(station, sequence, timestampMs, payload);

    /// <summary>The newest sequence number kept per station.</summary>
    public Dictionary<string, long> NewestSequences() => _log.NewestOrdinals();

    /// <summary>Payloads of <paramref name="station"/> with sequence numbers in <paramref name="range"/>, in order, at most <paramref name="max"/>.</summary>
    public List<HistoryRecord> Read(string station, SequenceRange range, int max)
    {
        var records = _log.Read(station, range.From, range.To, max);
        records.Sort(static (a, b) => a.Ordinal.CompareTo(b.Ordinal));
        return records;
    }

    public int Prune() => _log.Prune();

    public void Flush() => _log.Flush();

    public void Dispose() => _log.Dispose();
}
