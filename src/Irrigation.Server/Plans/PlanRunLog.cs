using Irrigation.Contracts;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Write;
using Irrigation.Server.Audit;
using Irrigation.Server.Commands;
using Irrigation.Server.Events;
using Irrigation.Server.State;
using Irrigation.Server.Storage;

namespace Irrigation.Server.Plans;

/// <summary>Told of each scheduled run as its state changes (the missed-run alarm listens).</summary>
public interface IPlanRunListener
{
    void RunChanged(PlanRunView run, string planName);
}

/// <summary>
/// Records the gateways' results for scheduled runs (origin <c>schedule</c>): one row per run in SQLite with its start
/// and stop outcomes and the meter's energy counter at each, an audit entry per result, a live event, and a point in
/// InfluxDB (measurement <c>plan_run</c>). Results arrive late after an outage and may arrive twice (QoS 1): a result
/// already recorded changes nothing.
/// </summary>
public sealed class PlanRunLog : IScheduledResultListener
{
    private readonly PlanStore _store;
    private readonly StationRegistry _registry;
    private readonly LatestValueCache _cache;
    private readonly AuditLog _audit;
    private readonly EventHub _hub;
    private readonly EventPointWriter _events;
    private readonly IPlanRunListener[] _listeners;
    private readonly ILogger<PlanRunLog> _logger;
    private readonly Lock _sync = new();

    public PlanRunLog(PlanStore store, StationRegistry registry, LatestValueCache cache, AuditLog audit, EventHub hub, EventPointWriter events, IEnumerable<IPlanRunListener> listeners, ILogger<PlanRunLog> logger)
    {
        _store = store;
        _registry = registry;
        _cache = cache;
        _audit = audit;
        _hub = hub;
        _events = events;
        _listeners = listeners.ToArray();
        _logger = logger;
    }

    public void ScheduledResult(CommandResultMessage result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Schedule is not { } schedule || result.Action is not ("start" or "stop"))
            return;
        PlanRunView run;
        lock (_sync)
        {
            var known = _store.Run(schedule.RunId);
            var start = result.Action == "start";
            if (known is not null && (start ? known.StartOutcome is not null && known.StartedAt == result.Ts : known.StopOutcome is not null && known.StoppedAt == result.Ts))
                return; // the same result again
            run = known ?? new PlanRunView(schedule.RunId, schedule.Plan, schedule.PlanVersion, result.Station, result.Pump, result.Gateway, schedule.PlannedAtMs, PlanRunStates.Missed,
                null, null, null, null, null, null, null, null, null, null, result.Ts);
            var energy = Energy(result.Station);
            if (start)
            {
                var state = result.Outcome switch
                {
                    CommandOutcomes.Succeeded => PlanRunStates.Running,
                    CommandOutcomes.Missed => PlanRunStates.Missed,
                    _ => PlanRunStates.Refused,
                };
                run = run with { State = run.StopOutcome is null ? state : run.State, StartOutcome = result.Outcome, StartReason = result.Reason, StartDetail = result.Detail, StartedAt = result.Ts, EnergyStart = state == PlanRunStates.Running ? energy : null, UpdatedAt = result.Ts };
            }
            else
            {
                // A stop of a stopped pump after an operator ended the run changes nothing the operator did.
                if (known is { State: PlanRunStates.EndedByOperator } && result.Outcome == CommandOutcomes.Succeeded)
                    return;
                var state = result.Outcome != CommandOutcomes.Succeeded ? PlanRunStates.StopFailed
                    : result.Reason == ScheduleReasons.ManualStop ? PlanRunStates.EndedByOperator
                    : PlanRunStates.NotExecuted(run.State) ? run.State // the stop after a start that failed: still not executed
                    : PlanRunStates.Completed;
                run = run with { State = state, StopOutcome = result.Outcome, StopReason = result.Reason, StopDetail = result.Detail, StoppedAt = result.Ts, EnergyEnd = run.EnergyStart is null ? null : energy, UpdatedAt = result.Ts };
            }

            _store.SaveRun(run);
        }

        var name = _store.Get(run.PlanId)?.Plan.Name ?? run.PlanId;
        _logger.LogInformation("Plan {Plan} run {Run}: {Action} {Outcome} {Reason} at {Station} pump {Pump}: {Detail}", run.PlanId, run.RunId, result.Action, result.Outcome, result.Reason ?? "-", run.Station, run.Pump, result.Detail);
        _audit.Write(ScheduledUser(run.PlanId), "plan.run", $"{result.Action}:{result.Outcome}", run.Station, run.Pump, $"{run.RunId}: {result.Reason} {result.Detail}".Trim());
        _hub.Publish("planRun", run);
        var point = PointData.Create("plan_run")
            .Tag("station", run.Station).Tag("pump", run.Pump.ToString(System.Globalization.CultureInfo.InvariantCulture)).Tag("plan", run.PlanId)
            .Tag("action", result.Action).Tag("outcome", result.Outcome)
            .Field("run", run.RunId).Field("reason", result.Reason ?? "").Field("planned_ms", run.PlannedAt)
            .Timestamp(result.Ts);
        _events.Enqueue(point, _logger);
        foreach (var listener in _listeners)
            listener.RunChanged(run, name);
    }

    public static string ScheduledUser(string planId) => "plan:" + planId;

    private double? Energy(string station) =>
        _registry.Find(station) is { } entry && _cache.Snapshot(entry).Values.TryGetValue("forward_energy", out var energy) ? energy.Value : null;
}
