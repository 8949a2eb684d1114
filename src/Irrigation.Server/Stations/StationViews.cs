using Irrigation.Server.Commands;
using Irrigation.Server.State;

using Irrigation.Server.Profiles;

namespace Irrigation.Server.Stations;

public sealed record PumpView(int Number, bool? Running, bool? Fault, double? Current, CommandView? PendingCommand);

/// <summary>
/// What the station list shows: online, staleness, pumps, and the figures a fleet list needs at a glance — the meter's
/// total active power in kW, the sump level in m and how many pumps run (null where the station has not reported it).
/// </summary>
public sealed record StationSummary(
    string Id, string Name, string Site, StationStatus Status, bool Online, bool Stale, bool? MainsPresent, bool? RemoteMode,
    long LastTelemetryMs, IReadOnlyList<PumpView> Pumps, int ActiveAlarms, double? PowerKw, double? SumpLevel, int PumpsRunning);

public sealed record ValueView(string Key, string Label, string LabelEn, string Unit, double Value, long Ts);

public sealed record StationDetail(StationSummary Summary, IReadOnlyList<ValueView> Values, IReadOnlyList<CommandView> PendingCommands);

/// <summary>Counts active alarms per station for the summaries (the alarm engine provides it; zero without one).</summary>
public interface IActiveAlarmCounter
{
    int ActiveAlarms(string station);
}

/// <summary>
/// Builds station views from the latest-value cache. Pump state comes only from telemetry feedback
/// (<c>pump{n}.running</c>, <c>pump{n}.fault</c>), never from a command.
/// </summary>
public sealed class StationViews
{
    private readonly LatestValueCache _cache;
    private readonly StationRegistry _registry;
    private readonly QuantityCatalog _catalog;
    private readonly CommandStore _commands;
    private readonly IEnumerable<IActiveAlarmCounter> _alarms;
    private readonly StationLiveness _liveness;

    public StationViews(LatestValueCache cache, StationRegistry registry, QuantityCatalog catalog, CommandStore commands, IEnumerable<IActiveAlarmCounter> alarms, StationLiveness liveness)
    {
        _cache = cache;
        _registry = registry;
        _catalog = catalog;
        _commands = commands;
        _alarms = alarms;
        _liveness = liveness;
    }

    public IReadOnlyList<StationSummary> List()
    {
        var open = _commands.Open().ToLookup(c => c.Station, StringComparer.Ordinal);
        return _cache.Snapshot().Select(s => Summarize(s, open[s.Id].ToList())).ToList();
    }

    public StationSummary? Summary(string id) => _registry.Find(id) is { } station ? Summarize(_cache.Snapshot(station), _commands.Open(id)) : null;

    public StationDetail? Detail(string id)
    {
        if (_registry.Find(id) is not { } station)
            return null;
        var snapshot = _cache.Snapshot(station);
        var open = _commands.Open(id);
        var values = snapshot.Values
            .OrderBy(kv => QuantityCatalog.TryParsePumpKey(kv.Key, out var p, out _) ? p : 0)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv =>
            {
                var info = _catalog.Describe(kv.Key);
                return new ValueView(kv.Key, info.Label, info.LabelEn, info.Unit, kv.Value.Value, kv.Value.TimestampMs);
            })
            .ToList();
        return new StationDetail(Summarize(snapshot, open), values, open);
    }

    public StationSummary Summarize(StationSnapshot s, IReadOnlyList<CommandView> open)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(open);
        var pumps = new SortedDictionary<int, (bool? Running, bool? Fault, double? Current)>();
        foreach (var (key, (value, _)) in s.Values)
        {
            if (!QuantityCatalog.TryParsePumpKey(key, out var n, out var name))
                continue;
            var p = pumps.GetValueOrDefault(n);
            pumps[n] = name switch
            {
                "running" => p with { Running = value != 0 },
                "fault" => p with { Fault = value != 0 },
                "motor_current" => p with { Current = value },
                _ => p,
            };
        }

        var pumpViews = pumps.Select(kv => new PumpView(kv.Key, kv.Value.Running, kv.Value.Fault, kv.Value.Current, open.FirstOrDefault(c => c.Pump == kv.Key))).ToList();
        bool? Flag(string key) => s.Values.TryGetValue(key, out var v) ? v.Value != 0 : null;
        var stale = _liveness.IsStale(s);
        return new StationSummary(s.Id, s.Name, s.Site, s.Status, s.Status == StationStatus.Online && !stale, stale, Flag("mains_present"), Flag("remote_mode"),
            s.LastTelemetryMs, pumpViews, _alarms.Sum(a => a.ActiveAlarms(s.Id)),
            In(s, "active_power", KilowattsPer), In(s, "sump_level", MetresPer), pumpViews.Count(p => p.Running == true));
    }

    // The profiles give the unit beside each quantity (meters report active_power in W); the list shows kW and m.
    private static readonly Dictionary<string, double> KilowattsPer = new(StringComparer.Ordinal) { ["W"] = 0.001, ["kW"] = 1, ["MW"] = 1000 };
    private static readonly Dictionary<string, double> MetresPer = new(StringComparer.Ordinal) { ["m"] = 1, ["cm"] = 0.01, ["mm"] = 0.001 };

    /// <summary>A station-wide value converted by its profile unit; null when not reported or in a unit not listed.</summary>
    private double? In(StationSnapshot s, string key, Dictionary<string, double> factors) =>
        s.Values.TryGetValue(key, out var v) && factors.TryGetValue(_catalog.Describe(key).Unit, out var factor)
            ? Math.Round(v.Value * factor, 6)
            : null;
}
