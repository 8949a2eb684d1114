using Irrigation.Contracts;
using System.Collections.Concurrent;
using Irrigation.Server.Plans;

namespace Irrigation.Server.Alarms;

/// <summary>
/// The last scheduled run per station that was not executed, for the plan_run_missed rule (计划运行未执行): set when a
/// run is reported missed or refused, cleared when a later scheduled start at the station succeeds. Read back from the
/// plan runs after a restart, so an open alarm neither clears nor is raised again by the restart.
/// </summary>
public sealed class MissedRuns(PlanStore store, TimeProvider time) : IPlanRunListener
{
    private static readonly TimeSpan Lookback = TimeSpan.FromDays(2);

    private readonly ConcurrentDictionary<string, Missed> _last = new(StringComparer.Ordinal);
    private readonly Lock _seedLock = new();
    private bool _seeded;

    /// <summary>The run not executed: when, which plan (its name) and pump, and why (a reason code, or the outcome when there is none).</summary>
    public sealed record Missed(long AtMs, string Plan, int Pump, string Reason);

    public void RunChanged(PlanRunView run, string planName)
    {
        ArgumentNullException.ThrowIfNull(run);
        Seed();
        Apply(run, planName);
    }

    private void Apply(PlanRunView run, string planName)
    {
        if (PlanRunStates.NotExecuted(run.State))
        {
            var missed = new Missed(run.StartedAt ?? run.UpdatedAt, planName, run.Pump, run.StartReason ?? run.StartOutcome ?? "");
            _last.AddOrUpdate(run.Station, missed, (_, old) => old.AtMs > missed.AtMs ? old : missed);
        }
        else if (run.StartOutcome == CommandOutcomes.Succeeded && _last.TryGetValue(run.Station, out var missed) && missed.AtMs <= (run.StartedAt ?? 0))
        {
            _last.TryRemove(run.Station, out _);
        }
    }

    /// <summary>Seconds since the station's last run not executed, with what it was; null when none is outstanding.</summary>
    public (double AgoSeconds, Missed Run)? Last(string station, long nowMs)
    {
        Seed();
        return _last.TryGetValue(station, out var last) ? ((nowMs - last.AtMs) / 1000.0, last) : null;
    }

    private void Seed()
    {
        lock (_seedLock)
        {
            if (_seeded)
                return;
            _seeded = true;
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var names = store.All().ToDictionary(p => p.Plan.Id, p => p.Plan.Name, StringComparer.Ordinal);
            foreach (var run in store.Runs(null, null, now - (long)Lookback.TotalMilliseconds, now + 1, 1000).Reverse())
                Apply(run, names.GetValueOrDefault(run.PlanId, run.PlanId));
        }
    }
}
