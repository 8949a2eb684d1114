using Microsoft.Extensions.Options;
using System.Collections.Concurrent;
using Irrigation.Server.Ingestion;
using Irrigation.Server.Storage;
using Irrigation.Contracts;

namespace Irrigation.Server.Accounting;

/// <summary>
/// Remembers, per station, the oldest telemetry stored after the accounting's regular window had moved past its day —
/// a gateway's store-and-forward replay after days without 4G, a server down longer than
/// <see cref="AccountingOptions.DaysOnStart"/> — so that the next pass recomputes that station back to that Beijing
/// day instead of leaving the figures it had before the data arrived. The ingest loop pays one comparison per message;
/// only a late message touches the dictionary. Data older than the raw retention is ignored (InfluxDB keeps none).
/// </summary>
public sealed class LateTelemetry : ILateTelemetryListener
{
    /// <summary>Station id of <see cref="StoredFromSpool"/>: every station, data of unknown age.</summary>
    public const string AllStations = "";

    private readonly AccountingOptions _options;
    private readonly TimeSpan _rawRetention;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, long> _oldest = new(StringComparer.Ordinal);
    private long _windowStartMs;

    public LateTelemetry(IOptions<AccountingOptions> options, IOptions<ServerInfluxOptions> influx, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(influx);
        _options = options.Value;
        _rawRetention = influx.Value.RawRetention;
        _time = time;
        // Until the first pass, what it will cover: the last DaysOnStart days.
        _windowStartMs = WindowStart(_options.DaysOnStart, TimeSpan.Zero);
    }

    /// <summary>True when data at <paramref name="timestampMs"/> is older than the days the next pass covers anyway.</summary>
    public bool IsLate(long timestampMs) => timestampMs < Volatile.Read(ref _windowStartMs);

    /// <summary>Late data of <paramref name="station"/> at <paramref name="timestampMs"/> is now in InfluxDB.</summary>
    public void Stored(string station, long timestampMs)
    {
        if (IsLate(timestampMs) && timestampMs >= _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_rawRetention.TotalMilliseconds)
            Mark(station, timestampMs);
    }

    /// <summary>Spooled data of unknown age and stations reached InfluxDB: every station is recomputed as after a restart.</summary>
    public void StoredFromSpool() => Mark(AllStations, WindowStart(_options.DaysOnStart, TimeSpan.Zero));

    /// <summary>
    /// Takes the marks for a pass: station → how many days back to recompute it (<see cref="AllStations"/> for all).
    /// From now on only data older than the next regular pass's window is late. <see cref="Restore"/> puts marks back
    /// when the pass fails.
    /// </summary>
    public IReadOnlyDictionary<string, int> Take()
    {
        // The window of one interval ahead, so a Beijing midnight between two passes leaves no gap.
        Volatile.Write(ref _windowStartMs, WindowStart(_options.Days, _options.Interval));
        var today = BeijingTime.DateOf(_time.GetUtcNow());
        var taken = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var station in _oldest.Keys)
        {
            if (_oldest.TryRemove(station, out var ms))
                taken[station] = today.DayNumber - BeijingTime.DateOf(ms).DayNumber + 1;
        }

        return taken;
    }

    /// <summary>The pass that took <paramref name="taken"/> failed: the next one must do it.</summary>
    public void Restore(IReadOnlyDictionary<string, int> taken)
    {
        ArgumentNullException.ThrowIfNull(taken);
        var today = BeijingTime.DateOf(_time.GetUtcNow());
        foreach (var (station, days) in taken)
            Mark(station, BeijingTime.StartOfMs(today.AddDays(1 - days)));
    }

    private void Mark(string station, long ms) => _oldest.AddOrUpdate(station, ms, (_, current) => Math.Min(current, ms));

    private long WindowStart(int days, TimeSpan ahead) =>
        BeijingTime.StartOfMs(BeijingTime.DateOf(_time.GetUtcNow() + ahead).AddDays(1 - days));
}
