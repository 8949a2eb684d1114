using System.Globalization;
using Irrigation.Contracts;
using Irrigation.Server.Commands;
using Irrigation.Server.State;

namespace Irrigation.Server.Plans;

/// <summary>Why an edit was refused: a problem code for the app, the English detail, and fields for a translated text.</summary>
public sealed record PlanRefusal(string Code, string Detail, int Status, IDictionary<string, object?>? Extra = null);

/// <summary>
/// Creates, changes, pauses, resumes and deletes plans under one lock, so two edits can never both pass the overlap check:
/// a plan must be valid on its own (<see cref="PlanRules"/>), name stations the server knows and pumps they have, and
/// never run a pump another plan runs at the same time (<see cref="PlanCalendar.Conflict"/>; paused plans count, since
/// they may be resumed). Every change is stored as a new revision and handed to <see cref="PlanDelivery"/>.
/// </summary>
public sealed class PlanEditor
{
    private readonly PlanStore _store;
    private readonly StationRegistry _registry;
    private readonly LatestValueCache _cache;
    private readonly PlanDelivery _delivery;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();

    public PlanEditor(PlanStore store, StationRegistry registry, LatestValueCache cache, PlanDelivery delivery, TimeProvider time)
    {
        _store = store;
        _registry = registry;
        _cache = cache;
        _delivery = delivery;
        _time = time;
    }

    public static string NewId() => "p" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Saves <paramref name="plan"/> (new when <paramref name="created"/>); the stored plan, or why not.</summary>
    public (IrrigationPlan? Plan, PlanRefusal? Refusal) Save(IrrigationPlan plan, bool created, string change, string user)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (PlanRules.Problem(plan) is { } problem)
            return (null, new PlanRefusal("invalid_plan", problem, StatusCodes.Status400BadRequest));
        foreach (var step in plan.Steps)
        {
            if (_registry.Find(step.Station) is not { } station)
                return (null, new PlanRefusal("station_not_found", $"No station {step.Station}.", StatusCodes.Status400BadRequest, new Dictionary<string, object?> { ["station"] = step.Station }));
            if (!CommandsApi.HasPump(_cache.Snapshot(station), step.Pump))
                return (null, new PlanRefusal("pump_not_found", $"Station {step.Station} has no pump {step.Pump}.", StatusCodes.Status400BadRequest, new Dictionary<string, object?> { ["station"] = step.Station, ["pump"] = step.Pump }));
        }

        lock (_sync)
        {
            var existing = _store.Get(plan.Id);
            if (created == (existing is not null))
                return (null, created ? new PlanRefusal("plan_exists", $"Plan {plan.Id} exists.", StatusCodes.Status409Conflict) : new PlanRefusal("plan_not_found", $"No plan {plan.Id}.", StatusCodes.Status404NotFound));
            foreach (var other in _store.All().Where(p => p.Plan.Id != plan.Id))
            {
                if (PlanCalendar.Conflict(plan, other.Plan) is { } conflict)
                {
                    var name = _registry.Find(conflict.Station)?.Name ?? conflict.Station;
                    return (null, new PlanRefusal("plan_overlap", conflict.ToString(), StatusCodes.Status409Conflict, new Dictionary<string, object?>
                    {
                        ["station"] = conflict.Station,
                        ["stationName"] = name,
                        ["pump"] = conflict.Pump,
                        ["otherPlan"] = other.Plan.Name,
                        ["otherPlanId"] = other.Plan.Id,
                        ["date"] = conflict.At.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        ["time"] = conflict.At.ToString("HH:mm", CultureInfo.InvariantCulture),
                    }));
                }
            }

            // A gateway refuses a set over the contract's limits: refuse the edit here (all plans counted, as if one gateway had them all).
            var others = _store.All().Where(p => p.Plan.Id != plan.Id).Select(p => p.Plan).ToList();
            if (others.Count + 1 > PlanSetPayload.MaxPlans || others.Sum(p => PlanStore.Json(p).Length) + PlanStore.Json(plan).Length > PlanSetPayload.MaxBytes - 4096)
                return (null, new PlanRefusal("too_many_plans", $"At most {PlanSetPayload.MaxPlans} plans ({PlanSetPayload.MaxBytes / 1024} KiB) can be delivered; delete old plans first.", StatusCodes.Status409Conflict));
            var saved = _store.Save(plan, change, user, _time.GetUtcNow().ToUnixTimeMilliseconds(), created);
            _delivery.Changed();
            return (saved, null);
        }
    }

    public bool Delete(string id, string user)
    {
        lock (_sync)
        {
            if (!_store.Delete(id, user, _time.GetUtcNow().ToUnixTimeMilliseconds()))
                return false;
        }

        _delivery.Changed();
        return true;
    }
}
