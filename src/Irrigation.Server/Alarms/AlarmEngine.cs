using Irrigation.Server.Observability;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using System.Collections.Concurrent;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Write;
using Irrigation.Server.Audit;
using Irrigation.Server.Commands;
using Irrigation.Server.Configuration;
using Irrigation.Server.Events;
using Irrigation.Server.Http;
using Irrigation.Server.Plans;
using Irrigation.Server.State;
using Irrigation.Server.Stations;
using System.Data.Common;

using Irrigation.Server.Storage;

using Irrigation.Server.Leadership;

namespace Irrigation.Server.Alarms;

/// <summary>
/// Evaluates every rule for every station once per <see cref="AlarmOptions.EvaluationInterval"/> from the latest
/// state (values, communication status, pump commands), raises and clears alarms through <see cref="AlarmTracker"/>
/// (on-delay, hysteresis), and carries each lifecycle event everywhere it must go: SQLite history, the live stream,
/// InfluxDB (measurement <c>alarm</c>, for Grafana annotations) and every <see cref="IAlarmEventListener"/> (webhooks, SMS escalation).
/// </summary>
public sealed class AlarmEngine : BackgroundService, IActiveAlarmCounter
{
    private readonly AlarmOptions _options;
    private readonly ForgedCommands _forged;
    private readonly MissedRuns _missed;
    private readonly PlanStore _plans;
    private readonly AlarmRuleBook _rules;
    private readonly LatestValueCache _cache;
    private readonly AlarmStore _store;
    private readonly CommandStore _commands;
    private readonly IAlarmEventListener[] _listeners;
    private readonly EventHub _hub;
    private readonly EventPointWriter _events;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<AlarmEngine> _logger;
    private readonly InstanceLeadership _leadership;
    private readonly Dictionary<(string Station, string Key), AlarmTracker> _trackers = [];
    private readonly Dictionary<string, (double Value, long ChangedMs)> _meters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _activeCounts = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private bool _loaded;

    public AlarmEngine(IOptions<AlarmOptions> options, AlarmRuleBook rules, LatestValueCache cache, AlarmStore store, CommandStore commands, IEnumerable<IAlarmEventListener> listeners, ForgedCommands forged, MissedRuns missed, PlanStore plans, EventHub hub, EventPointWriter events, AuditLog audit, IMeterFactory meters, TimeProvider time, ILogger<AlarmEngine> logger, InstanceLeadership leadership)
    {
        ServerMeters.Create(meters).CreateObservableGauge("irrigation_alarms_open", () =>
        {
            var open = store.Open();
            return AlarmSeverities.All.Select(severity => new Measurement<int>(open.Count(a => a.Severity == severity), new KeyValuePair<string, object?>("severity", severity.Text())));
        }, description: "Alarms not cleared, by severity.");
        _options = options.Value;
        _forged = forged;
        _missed = missed;
        _plans = plans;
        _rules = rules;
        _cache = cache;
        _store = store;
        _commands = commands;
        _listeners = listeners.ToArray();
        _hub = hub;
        _events = events;
        _audit = audit;
        _time = time;
        _logger = logger;
        _leadership = leadership;
    }

    public int ActiveAlarms(string station) => _activeCounts.GetValueOrDefault(station);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.EvaluationInterval);
        long ledGeneration = 0;
        while (await Ticks.NextAsync(timer, stoppingToken))
        {
            try
            {
                if (!_leadership.IsLeader)
                {
                    // Another instance evaluates; this one follows the database for its station summaries and live clients.
                    ledGeneration = 0;
                    lock (_sync)
                        Follow();
                    continue;
                }

                _followed = null;

                if (ledGeneration != _leadership.Generation)
                {
                    // Taken over (or first round): start from the alarms the database holds open, never raise them again.
                    ledGeneration = _leadership.Generation;
                    lock (_sync)
                    {
                        _trackers.Clear();
                        _loaded = false;
                    }
                }

                Evaluate(_time.GetUtcNow().ToUnixTimeMilliseconds());
            }
            catch (DbException ex)
            {
                _logger.LogError(ex, "Alarm evaluation failed; retrying next round.");
            }
        }
    }

    /// <summary>One round over every station.</summary>
    internal void Evaluate(long nowMs)
    {
        lock (_sync)
        {
            var changed = LoadOpenAlarms();
            // An operator's command or a plan's start or stop, whichever came last: a pump a plan started is not running unexpectedly.
            var lastCommands = new Dictionary<(string Station, int Pump), (string Action, string State, long AtMs)>(_commands.LastFinishedPerPump());
            foreach (var (pump, scheduled) in _plans.LastScheduledPerPump(nowMs))
            {
                if (!lastCommands.TryGetValue(pump, out var manual) || manual.AtMs < scheduled.AtMs)
                    lastCommands[pump] = scheduled;
            }

            foreach (var station in _cache.Snapshot())
            {
                var context = new ConditionContext(
                    id => _rules.For(id, station.Id),
                    pump => lastCommands.TryGetValue((station.Id, pump), out var c) ? new LastPumpCommand(c.Action, c.State) : null,
                    MeterStillSeconds(station, nowMs),
                    _forged.Last(station.Id, nowMs),
                    _missed.Last(station.Id, nowMs));
                foreach (var reading in AlarmConditions.Evaluate(station, context))
                {
                    if (!reading.Rule.Enabled)
                        continue;
                    if (!_trackers.TryGetValue((station.Id, reading.Key), out var tracker))
                        _trackers[(station.Id, reading.Key)] = tracker = new AlarmTracker();
                    switch (tracker.Observe(reading.State, reading.Rule.OnDelay, nowMs))
                    {
                        case AlarmTransition.Raise:
                            Raise(station, reading, nowMs);
                            changed = true;
                            break;
                        case AlarmTransition.Clear:
                            if (_store.Clear(station.Id, reading.Key, nowMs) is { } cleared)
                                Publish("cleared", cleared, cleared.ClearedAt!.Value);
                            changed = true;
                            break;
                    }
                }
            }

            if (changed)
                RecountActive();
        }
    }

    private void Raise(StationSnapshot station, ConditionReading reading, long nowMs)
    {
        var alarm = _store.Raise(station.Id, station.Name, reading.Rule, reading.Pump, reading.Key, reading.Message, reading.Value, nowMs);
        if (alarm is null)
            return; // already open (raised by another server instance)

        _logger.LogWarning("Alarm raised: {Station} {Key} ({Severity}): {Message}", station.Id, reading.Key, reading.Rule.Severity.Text(), alarm.Message);
        Publish("raised", alarm, nowMs);
    }

    /// <summary>Acknowledges with a comment; null when there is no such unacknowledged alarm.</summary>
    public AlarmView? Acknowledge(string id, string user, string comment, HttpContext context)
    {
        lock (_sync)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var alarm = _store.Acknowledge(id, user, comment, now);
            if (alarm is null)
                return null;
            _audit.Write(context, "alarm.ack", "succeeded", alarm.Station, alarm.Pump, $"{alarm.Id} {alarm.Key}: {comment}");
            Publish("acknowledged", alarm, now); // acknowledged alarms stay open: the counts do not change
            return alarm;
        }
    }

    private void Publish(string @event, AlarmView alarm, long atMs)
    {
        _hub.Publish("alarm", new { @event, alarm });
        foreach (var listener in _listeners)
        {
            try
            {
                listener.OnAlarmEvent(@event, alarm);
            }
            catch (DbException ex) // a listener's failure must not stop the alarm itself (stored, streamed, in InfluxDB)
            {
                _logger.LogError(ex, "Alarm {Id}: {Listener} could not queue the {Event} notification.", alarm.Id, listener.GetType().Name, @event);
            }
        }

        var point = PointData.Create("alarm")
            .Tag("station", alarm.Station).Tag("rule", alarm.Key).Tag("severity", alarm.Severity.Text()).Tag("event", @event)
            .Field("id", alarm.Id).Field("message", alarm.Message).Field("value", alarm.Value)
            .Timestamp(atMs);
        _events.Enqueue(point, _logger);
    }

    /// <summary>Open alarms from before a restart stay raised (and clear when their condition does), never raised twice. True on the first call.</summary>
    private bool LoadOpenAlarms()
    {
        if (_loaded)
            return false;
        foreach (var open in _store.Open())
            _trackers[(open.Station, open.Key)] = AlarmTracker.AlreadyRaised();
        _loaded = true;
        return true;
    }

    /// <summary>
    /// While another instance leads: the open alarms as this instance last read them from the database. Each round, what
    /// changed since is streamed to this instance's live clients (raised, acknowledged, cleared), so a phone connected to
    /// any instance sees alarms as they happen; notifications, InfluxDB events and the SL 651 report stay the leader's.
    /// </summary>
    private Dictionary<string, AlarmView>? _followed;

    private void Follow()
    {
        var open = _store.Open().ToDictionary(a => a.Id, StringComparer.Ordinal);
        if (_followed is { } before)
        {
            foreach (var (id, alarm) in open)
            {
                if (!before.TryGetValue(id, out var was))
                    _hub.Publish("alarm", new { @event = "raised", alarm });
                else if (was.AcknowledgedAt is null && alarm.AcknowledgedAt is not null)
                    _hub.Publish("alarm", new { @event = "acknowledged", alarm });
            }

            foreach (var id in before.Keys.Where(id => !open.ContainsKey(id)))
            {
                if (_store.Get(id) is { } cleared)
                    _hub.Publish("alarm", new { @event = "cleared", alarm = cleared });
            }
        }

        _followed = open;
        Recount(open.Values);
    }

    /// <summary>Open alarms per station, kept for the station summaries (read every second); recounted when one is raised or cleared.</summary>
    private void RecountActive() => Recount(_store.Open());

    private void Recount(IEnumerable<AlarmView> open)
    {
        var counts = open.GroupBy(a => a.Station).ToDictionary(g => g.Key, g => g.Count());
        foreach (var station in _activeCounts.Keys.Except(counts.Keys).ToList())
            _activeCounts.TryRemove(station, out _);
        foreach (var (station, count) in counts)
            _activeCounts[station] = count;
    }

    /// <summary>How long the station's energy counter has not moved (0 when it just moved or is unknown).</summary>
    private double MeterStillSeconds(StationSnapshot station, long nowMs)
    {
        if (!station.Values.TryGetValue("forward_energy", out var energy))
            return 0;
        if (!_meters.TryGetValue(station.Id, out var seen) || seen.Value != energy.Value)
        {
            _meters[station.Id] = (energy.Value, nowMs);
            return 0;
        }

        return (nowMs - seen.ChangedMs) / 1000.0;
    }
}
