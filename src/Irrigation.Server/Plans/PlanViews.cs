using System.Globalization;
using Irrigation.Contracts;
using Irrigation.Server.Commands;
using Irrigation.Server.State;
using Irrigation.Server.Tariffs;

namespace Irrigation.Server.Plans;

public sealed record PlanStepView(string Station, string StationName, int Pump, int DurationSeconds, int OffsetSeconds);

/// <summary>One occurrence's energy and cost, estimated from the pumps' power and the tariff periods its hours fall in.</summary>
public sealed record CostEstimate(double Kwh, double Cost, IReadOnlyDictionary<string, double> Hours, string Tariff);

public sealed record PlanView(
    string Id, string Name, string Mode, string SeasonFrom, string SeasonTo, IReadOnlyList<int> Days, string Start, int StartGapSeconds,
    IReadOnlyList<PlanStepView> Steps, IReadOnlyList<string> SkipDates, bool Paused, bool OverrideOperatorStop, long Revision,
    string CreatedBy, long CreatedAt, string UpdatedBy, long UpdatedAt, CostEstimate? Estimate, IReadOnlyList<OccurrenceView> Next);

/// <summary>A planned or past run as the station and plan screens show it; the state and actual figures once the gateway reported them.</summary>
public sealed record OccurrenceView(
    string RunId, string PlanId, string PlanName, string Station, string StationName, int Pump, long Start, long End,
    string? State, string? StartOutcome, string? StartReason, string? StartDetail, string? StopReason, string? StopDetail, long? StartedAt, long? StoppedAt,
    double? Kwh, double? Cost, double EstimatedKwh, double EstimatedCost, IReadOnlyDictionary<string, double> TariffHours);

/// <summary>A station's plan state: today's timeline, the next runs, and whether its gateway runs the newest plans.</summary>
public sealed record StationScheduleView(string Station, string? Gateway, PlanSetState? Sync, IReadOnlyList<OccurrenceView> Today, IReadOnlyList<OccurrenceView> Next, IReadOnlyList<TariffBand> Tariff);

/// <summary>Builds the plan screens' views: plans with their steps and estimates, occurrences with their runs and costs.</summary>
public sealed class PlanViews
{
    private const int NextCount = 5;
    private readonly PlanStore _store;
    private readonly StationRegistry _registry;
    private readonly GatewayKeyring _keyring;
    private readonly TariffBook _tariffs;
    private readonly TimeProvider _time;

    public PlanViews(PlanStore store, StationRegistry registry, GatewayKeyring keyring, TariffBook tariffs, TimeProvider time)
    {
        _store = store;
        _registry = registry;
        _keyring = keyring;
        _tariffs = tariffs;
        _time = time;
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private string StationName(string id) => _registry.Find(id)?.Name ?? id;

    public PlanView View(StoredPlan stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var plan = stored.Plan;
        var offsets = PlanCalendar.Offsets(plan);
        var power = PumpPower();
        var next = Upcoming([plan], null, Now, NextCount, power);
        CostEstimate? estimate = null;
        // The next day the plan runs (paused or not: the estimate is what one occurrence costs).
        var day = BeijingTime.DateOf(Now);
        for (var i = 0; i < 400 && !PlanCalendar.RunsOn(plan, day, ignorePause: true) && day <= plan.SeasonTo; i++)
            day = day.AddDays(1);
        var one = PlanCalendar.On(plan, day, ignorePause: true).Select(o => Occurrence(o, [plan], null, power)).ToList();
        if (one.Count > 0)
        {
            var hours = TariffKinds.All.ToDictionary(k => k, k => Math.Round(one.Sum(o => o.TariffHours[k]), 2), StringComparer.Ordinal);
            estimate = new CostEstimate(Math.Round(one.Sum(o => o.EstimatedKwh), 1), Math.Round(one.Sum(o => o.EstimatedCost), 2), hours, _tariffs.Name);
        }

        return new PlanView(plan.Id, plan.Name, plan.Mode == PlanMode.Rotation ? "rotation" : "together",
            Date(plan.SeasonFrom), Date(plan.SeasonTo), plan.Days, plan.Start.ToString("HH:mm:ss", CultureInfo.InvariantCulture), plan.StartGapSeconds,
            plan.Steps.Select((s, i) => new PlanStepView(s.Station, StationName(s.Station), s.Pump, s.DurationSeconds, offsets[i])).ToList(),
            plan.SkipDates.Select(Date).ToList(), plan.Paused, plan.OverrideOperatorStop, plan.Revision,
            stored.CreatedBy, stored.CreatedAt, stored.UpdatedBy, stored.UpdatedAt, estimate, next);
    }

    public StationScheduleView Station(string station)
    {
        var plans = _store.All().Select(p => p.Plan).Where(p => p.Steps.Any(s => s.Station == station)).ToList();
        var now = Now;
        var today = BeijingTime.DateOf(now);
        var dayStart = BeijingTime.Ms(today, TimeOnly.MinValue);
        var power = PumpPower();
        var runs = _store.Runs(null, station, dayStart - 2 * 86_400_000L, dayStart + 86_400_000L, 500).ToDictionary(r => r.RunId, StringComparer.Ordinal);
        var todays = PlanCalendar.Between(plans, dayStart - 2 * 86_400_000L, dayStart + 86_400_000L)
            .Where(o => o.Step.Station == station && (o.StartMs >= dayStart || o.EndMs > dayStart))
            .Select(o => Occurrence(o, plans, runs.GetValueOrDefault(o.RunId), power))
            .ToList();
        var gateway = _keyring.GatewayOf(station);
        var sync = gateway is null ? null : _store.Sets().FirstOrDefault(s => s.Gateway == gateway);
        return new StationScheduleView(station, gateway, sync, todays, Upcoming(plans, station, now, NextCount, power), _tariffs.Bands(today));
    }

    /// <summary>The next <paramref name="count"/> occurrences starting after <paramref name="fromMs"/> (within 60 days).</summary>
    private List<OccurrenceView> Upcoming(IReadOnlyList<IrrigationPlan> plans, string? station, long fromMs, int count, IReadOnlyDictionary<(string, int), double> power) =>
        PlanCalendar.Between(plans, fromMs, fromMs + 60 * 86_400_000L)
            .Where(o => station is null || o.Step.Station == station)
            .Take(count)
            .Select(o => Occurrence(o, plans, null, power))
            .ToList();

    public IReadOnlyList<OccurrenceView> Runs(string? planId, string? station, int days)
    {
        var now = Now;
        var plans = _store.All().Select(p => p.Plan).ToList();
        var power = PumpPower();
        return _store.Runs(planId, station, now - days * 86_400_000L, now + 86_400_000L, 500)
            .Select(r => Run(r, plans.FirstOrDefault(p => p.Id == r.PlanId), power))
            .ToList();
    }

    private OccurrenceView Occurrence(PlanOccurrence o, IReadOnlyList<IrrigationPlan> plans, PlanRunView? run, IReadOnlyDictionary<(string, int), double> power)
    {
        var split = _tariffs.Split(o.StartMs, o.EndMs);
        var kw = power.GetValueOrDefault((o.Step.Station, o.Step.Pump), _tariffs.DefaultPumpKw);
        var kwh = kw * split.TotalHours;
        var (actualKwh, actualCost) = Actual(run);
        return new OccurrenceView(o.RunId, o.PlanId, plans.FirstOrDefault(p => p.Id == o.PlanId)?.Name ?? o.PlanId, o.Step.Station, StationName(o.Step.Station), o.Step.Pump,
            o.StartMs, o.EndMs, run?.State, run?.StartOutcome, run?.StartReason, run?.StartDetail, run?.StopReason, run?.StopDetail, run?.StartedAt, run?.StoppedAt,
            actualKwh, actualCost, Math.Round(kwh, 2), _tariffs.Cost(split, kwh), Rounded(split));
    }

    private OccurrenceView Run(PlanRunView run, IrrigationPlan? plan, IReadOnlyDictionary<(string, int), double> power)
    {
        // The day is the one in the run's id ({plan}/{yyyyMMdd}/{step}): a step after midnight belongs to the day before.
        var parts = run.RunId.Split('/');
        var day = parts.Length == 3 && DateOnly.TryParseExact(parts[1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : BeijingTime.DateOf(run.PlannedAt);
        var step = plan is null ? null : PlanCalendar.On(plan, day, ignorePause: true).FirstOrDefault(o => o.RunId == run.RunId);
        var end = step?.EndMs ?? run.StoppedAt ?? run.PlannedAt;
        var split = _tariffs.Split(run.PlannedAt, end);
        var kwh = power.GetValueOrDefault((run.Station, run.Pump), _tariffs.DefaultPumpKw) * split.TotalHours;
        var (actualKwh, actualCost) = Actual(run);
        return new OccurrenceView(run.RunId, run.PlanId, plan?.Name ?? run.PlanId, run.Station, StationName(run.Station), run.Pump, run.PlannedAt, end,
            run.State, run.StartOutcome, run.StartReason, run.StartDetail, run.StopReason, run.StopDetail, run.StartedAt, run.StoppedAt,
            actualKwh, actualCost, Math.Round(kwh, 2), _tariffs.Cost(split, kwh), Rounded(split));
    }

    /// <summary>The run's measured energy (meter counter at stop minus at start) and its cost over the hours it ran.</summary>
    private (double? Kwh, double? Cost) Actual(PlanRunView? run) =>
        run is { EnergyKwh: { } kwh, StartedAt: { } from, StoppedAt: { } to } && to > from ? (kwh, _tariffs.Cost(_tariffs.Split(from, to), kwh)) : (null, null);

    /// <summary>Measured power per pump from the last 30 days' completed runs (energy over hours); pumps without any take the default.</summary>
    private sealed record MeasuredPower(long AtMs, Dictionary<(string, int), double> Power);

    /// <summary>Swapped whole (one reference), so concurrent requests never see a torn pair.</summary>
    private MeasuredPower? _power;

    /// <summary>Measured power per pump, computed at most every 10 s (a list of plans asks once per plan).</summary>
    private Dictionary<(string, int), double> PumpPower()
    {
        var now = Now;
        if (_power is { } cached && now - cached.AtMs < 10_000)
            return cached.Power;
        var power = MeasurePumpPower(now);
        _power = new MeasuredPower(now, power);
        return power;
    }

    private Dictionary<(string, int), double> MeasurePumpPower(long now)
    {
        return _store.Runs(null, null, now - 30 * 86_400_000L, now + 1, PlanStore.MaxRuns)
            .Where(r => r is { EnergyKwh: > 0, StartedAt: not null, StoppedAt: not null } && r.StoppedAt > r.StartedAt + 60_000)
            .GroupBy(r => (r.Station, r.Pump))
            .ToDictionary(g => g.Key, g => Math.Round(g.Sum(r => r.EnergyKwh!.Value) / g.Sum(r => (r.StoppedAt!.Value - r.StartedAt!.Value) / 3_600_000.0), 1));
    }

    private static Dictionary<string, double> Rounded(TariffSplit split) =>
        split.Hours.ToDictionary(h => h.Key, h => Math.Round(h.Value, 3), StringComparer.Ordinal);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
