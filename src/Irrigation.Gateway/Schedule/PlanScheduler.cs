using Irrigation.Contracts;
using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Schedule;

/// <summary>
/// Runs the plan set at the edge, on Beijing time, whether or not the broker and the server can be reached
/// (docs/plans.md "Edge execution"). Every tick it:
/// <list type="number">
/// <item>queues the stop of each run whose end has come (a stop is made whatever the clock's state: stopping is the safe side);</item>
/// <item>for each step of this gateway's stations whose start has come: queues the start — through the station's command
/// queue, so with the same interlocks and feedback confirmation as an operator's command — or records it not executed
/// with the reason (clock not trusted, operator's stop within the hold, too late after a gateway restart, queue full).</item>
/// </list>
/// Starts and stops are commands with stable ids (<c>{run}/start</c>, <c>{run}/stop</c>), so the command journal
/// never acts on one twice across restarts; their results go out like commands' results with origin <c>schedule</c>,
/// through the outbox, so results made offline arrive afterwards.
/// </summary>
public sealed class PlanScheduler : BackgroundService
{
    private static readonly TimeSpan Lookback = TimeSpan.FromDays(2);

    private readonly GatewayOptions _options;
    private readonly PlanStore _plans;
    private readonly ScheduledRuns _runs;
    private readonly ClockTrust _clock;
    private readonly StationQueues _queues;
    private readonly TimeProvider _time;
    private readonly ILogger<PlanScheduler> _logger;
    private readonly HashSet<string> _stations;
    private ClockProblem? _lastClockProblem;
    private bool _clockReported;
    private readonly long _startCheckpointMs;
    private readonly long _startTimestamp;

    public PlanScheduler(GatewayOptions options, PlanStore plans, ScheduledRuns runs, ClockTrust clock, StationQueues queues, TimeProvider time, ILogger<PlanScheduler> logger)
    {
        _options = options;
        _plans = plans;
        _runs = runs;
        _clock = clock;
        _queues = queues;
        _time = time;
        _logger = logger;
        _stations = options.Stations.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        _startCheckpointMs = runs.Ledger.CheckpointMs;
        _startTimestamp = time.GetTimestamp();
    }

    /// <summary>
    /// The time stops are decided by: the wall clock, but never earlier than the last trusted time plus what the monotonic
    /// clock counted since — a clock reset to 2000 after a power blip must not keep a pump running past its plan.
    /// </summary>
    private long StopClock(long nowMs) =>
        Math.Max(nowMs, _startCheckpointMs + (long)_time.GetElapsedTime(_startTimestamp).TotalMilliseconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Schedule.TickInterval, _time);
        try
        {
            do
            {
                try
                {
                    Tick();
                }
                catch (IOException ex)
                {
                    _logger.LogError(ex, "Scheduler: the ledger could not be written; trying again next tick.");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Scheduler stopping.");
        }
    }

    /// <summary>One look at the plans (internal for tests with a manual clock).</summary>
    internal void Tick()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var ledger = _runs.Ledger;
        var set = _plans.Current;
        var verdict = _clock.Check(now, ledger.CheckpointMs, set?.IssuedAtMs ?? 0);
        var problem = verdict?.Text;
        ReportClock(verdict, set, now);
        if (_clock.ConfirmedByServer(now))
            ledger.ResetCheckpoint(now);
        if (verdict is null)
            ledger.Checkpoint(now); // a clock not trusted must not move the checkpoint

        StopWhatIsDue(now);
        if (set is null)
            return;
        ledger.ForgetPlansExcept(set.Plans.Select(p => p.Id).ToHashSet(StringComparer.Ordinal));
        var plans = set.Plans.Where(p => p.Steps.Any(s => _stations.Contains(s.Station))).ToList();
        var from = now - (long)Lookback.TotalMilliseconds;
        foreach (var plan in plans)
        {
            var seen = ledger.FirstSeen(plan, now);
            foreach (var occurrence in PlanCalendar.Between([plan], from, now + 1))
            {
                if (!_stations.Contains(occurrence.Step.Station) || occurrence.StartMs < seen || occurrence.StartMs < ledger.SinceMs || ledger.Find(occurrence.RunId) is not null)
                    continue;
                StartOrMiss(plan, set.Version, occurrence, now, problem);
            }
        }
    }

    private void StartOrMiss(IrrigationPlan plan, long version, PlanOccurrence occurrence, long now, string? clockProblem)
    {
        var run = new ScheduledRun(occurrence.RunId, plan.Id, version, occurrence.Step.Station, occurrence.Step.Pump, occurrence.StartMs, occurrence.EndMs) { OverrideHold = plan.OverrideOperatorStop };
        var grace = (long)_options.Schedule.LateStartGrace.TotalMilliseconds;
        if (now - occurrence.StartMs > grace)
        {
            _runs.Missed(run, ScheduleReasons.GatewayDown, $"the start time {Beijing(occurrence.StartMs)} passed while the gateway was not running");
            return;
        }

        if (clockProblem is not null)
        {
            _runs.Missed(run, ScheduleReasons.ClockUntrusted, clockProblem);
            return;
        }

        var hold = (long)_options.Schedule.OperatorStopHold.TotalMilliseconds;
        if (!plan.OverrideOperatorStop && _runs.Ledger.LastOperatorStop(run.Station, run.Pump) is { } stop && now - stop.AtMs < hold)
        {
            _runs.Missed(run, ScheduleReasons.OperatorStopped, $"{stop.By} stopped this pump at {Beijing(stop.AtMs)}, within the {_options.Schedule.OperatorStopHold.TotalMinutes:0} min hold");
            return;
        }

        var command = new PumpCommand(run.RunId + "/start", run.Station, PumpAction.Start, run.Pump, ScheduledRuns.PlanUser(plan.Id),
            DateTimeOffset.FromUnixTimeMilliseconds(occurrence.StartMs + grace), _time.GetUtcNow()) { Schedule = run.Info };
        if (!_runs.Ledger.TryAdd(run, ScheduledRunState.Starting))
            return;
        if (Enqueue(command))
        {
            _logger.LogInformation("Plan {Plan} ({Name}): starting pump {Pump} at {Station} for {Minutes:0.#} min (run {Run}).", plan.Id, plan.Name, run.Pump, run.Station, occurrence.Step.DurationSeconds / 60.0, run.RunId);
            return;
        }

        _runs.Missed(run, ScheduleReasons.Busy, "the station's command queue was full");
    }

    /// <summary>Queues a command once in this process's life (a restart queues again what the ledger says is under way).</summary>
    private bool Enqueue(PumpCommand command)
    {
        if (_queued.Contains(command.Id))
            return true;
        if (!_queues.TryEnqueue(command))
            return false;
        _queued.Add(command.Id);
        return true;
    }

    /// <summary>Queues the stop of each run whose end has come, and queues again a start or stop a restart interrupted.</summary>
    private void StopWhatIsDue(long now)
    {
        var active = _runs.Ledger.Active();
        _queued.RemoveWhere(id => !active.Any(r => id.StartsWith(r.RunId + "/", StringComparison.Ordinal)));
        var stopClock = StopClock(now);
        foreach (var run in active)
        {
            if (run.State == ScheduledRunState.Running && (stopClock >= run.EndMs || run.StopDue) && now >= run.NextStopMs)
            {
                if (Enqueue(StopCommand(run)))
                {
                    _runs.Ledger.Transition(run.RunId, [ScheduledRunState.Running], ScheduledRunState.Stopping);
                    _logger.LogInformation("Plan {Plan}: stopping pump {Pump} at {Station} ({Why}, run {Run}).", run.PlanId, run.Pump, run.Station,
                        run.StopAttempts > 0 ? $"attempt {run.StopAttempts + 1}" : run.StopDue ? "its start failed" : "end of run", run.RunId);
                }
            }
            else if (run.State == ScheduledRunState.Stopping)
            {
                // Queued before a restart: the journal answers with the first result if it was made, else it is made now.
                Enqueue(StopCommand(run));
            }
            else if (run.State == ScheduledRunState.Starting)
            {
                Enqueue(new PumpCommand(run.RunId + "/start", run.Station, PumpAction.Start, run.Pump, ScheduledRuns.PlanUser(run.PlanId),
                    DateTimeOffset.FromUnixTimeMilliseconds(run.StartMs + (long)_options.Schedule.LateStartGrace.TotalMilliseconds), _time.GetUtcNow()) { Schedule = run.Info });
            }
        }
    }

    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);

    private PumpCommand StopCommand(ScheduledRun run) =>
        // A stop never expires early: the pump must not be left running because the queue was busy for a while.
        new(run.StopCommandId, run.Station, PumpAction.Stop, run.Pump, ScheduledRuns.PlanUser(run.PlanId), DateTimeOffset.MaxValue, _time.GetUtcNow()) { Schedule = run.Info };

    /// <summary>Logs and tells the server when the clock's state changes — by its kind, not its text (which carries times), so once.</summary>
    private void ReportClock(ClockProblem? problem, PlanSetMessage? set, long now)
    {
        if (_clockReported && problem?.Kind == _lastClockProblem?.Kind)
            return;
        _clockReported = true;
        _lastClockProblem = problem;
        if (problem is null)
            _logger.LogInformation("Scheduler: the clock is trusted; plans run.");
        else
            _logger.LogError("Scheduler: {Problem}; no plan starts a pump until the clock is right.", problem.Text);
        if (set is not null)
            _plans.Acknowledge(PlanApplyStatus.Applied, set.Version, null, null, now); // the server shows the clock's state with the version
    }

    private static string Beijing(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToOffset(PlanCalendar.BeijingOffset).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}
