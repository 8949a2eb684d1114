using Irrigation.Contracts;
using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Publishing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Schedule;

/// <summary>
/// Where commands and plans meet (docs/plans.md "Plans and manual commands"). The <see cref="CommandExecutor"/> hands
/// every finished command here before it publishes the result:
/// <list type="bullet">
/// <item>a plan's start or stop moves its run on (confirmed start → the plan owns the pump until the run's end);</item>
/// <item>a plan's start that finds the pump already running (started by hand) is reported not executed
/// (<see cref="ScheduleReasons.AlreadyRunning"/>): the plan does not take over a pump it did not start, nor stop it;</item>
/// <item>an operator's stop ends the plan's run on that pump (both results say so) and starts the hold, during which
/// the plan does not start that pump again unless the plan says to override.</item>
/// </list>
/// A manual start is never counted as a scheduled run.
/// </summary>
public sealed class ScheduledRuns
{
    private readonly GatewayOptions _options;
    private readonly ScheduleLedger _ledger;
    private readonly Outbox _outbox;
    private readonly TimeProvider _time;
    private readonly ILogger<ScheduledRuns> _logger;

    public ScheduledRuns(GatewayOptions options, ScheduleLedger ledger, Outbox outbox, TimeProvider time, ILogger<ScheduledRuns> logger)
    {
        _options = options;
        _ledger = ledger;
        _outbox = outbox;
        _time = time;
        _logger = logger;
    }

    public ScheduleLedger Ledger => _ledger;

    /// <summary>Called by the executor with each final result, before it is journalled and published; returns the result to publish.</summary>
    public CommandResultMessage Finished(PumpCommand command, CommandResultMessage result)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(result);
        if (command.Schedule is { } schedule)
            return ScheduledFinished(command, schedule, result);
        if (command.Action != PumpAction.Stop || result.Outcome != CommandOutcomes.Succeeded)
            return result;

        var ended = _ledger.OperatorStopped(command.Station, command.Pump, _time.GetUtcNow().ToUnixTimeMilliseconds(), command.RequestedBy);
        if (ended is null)
            return result;
        _logger.LogInformation("Operator {User} stopped pump {Pump} at {Station}: scheduled run {Run} ends early.", command.RequestedBy, command.Pump, command.Station, ended.RunId);
        Publish(new CommandResultMessage(ended.RunId + "/ended", ended.Station, ended.Pump, "stop", CommandOutcomes.Succeeded, ScheduleReasons.ManualStop,
            $"ended early by {command.RequestedBy}'s stop command {command.Id}", PlanUser(ended.PlanId), result.Ts, _options.Id)
        {
            Origin = CommandOrigins.Schedule,
            Schedule = ended.Info,
        });
        return result with { Detail = $"{result.Detail}; ended the scheduled run {ended.RunId} of plan {ended.PlanId}" };
    }

    private CommandResultMessage ScheduledFinished(PumpCommand command, ScheduleInfo schedule, CommandResultMessage result)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (command.Action == PumpAction.Start)
        {
            var written = _ledger.Find(schedule.RunId)?.Written == true;
            if (result.Outcome == CommandOutcomes.Succeeded && result.Reason == CommandReasons.AlreadyInState && !written)
            {
                _ledger.Transition(schedule.RunId, [ScheduledRunState.Starting], ScheduledRunState.Ended, CommandOutcomes.Missed, ScheduleReasons.AlreadyRunning);
                return result with { Outcome = CommandOutcomes.Missed, Reason = ScheduleReasons.AlreadyRunning, Detail = "the pump was already running (started by hand); the plan leaves it to the operator and will not stop it" };
            }

            if (result.Outcome == CommandOutcomes.Succeeded)
            {
                // Written before a restart and found running now: the plan's own start, so the plan stops it at the end.
                _ledger.Transition(schedule.RunId, [ScheduledRunState.Starting], ScheduledRunState.Running, result.Outcome, result.Reason);
                return written && result.Reason == CommandReasons.AlreadyInState ? result with { Reason = null, Detail = "started by this plan before the gateway restarted" } : result;
            }

            if (result.Outcome == CommandOutcomes.Failed || written)
            {
                // Failed after the write (no feedback, write not answered, tripped): the pump may be running. The plan keeps it
                // and stops it now — a stop of a stopped pump does nothing.
                _ledger.Update(schedule.RunId, run =>
                {
                    if (run.State != ScheduledRunState.Starting)
                        return false;
                    (run.State, run.Outcome, run.Reason, run.StopDue) = (ScheduledRunState.Running, result.Outcome, result.Reason, true);
                    return true;
                });
                return result;
            }

            _ledger.Transition(schedule.RunId, [ScheduledRunState.Starting], ScheduledRunState.Ended, result.Outcome, result.Reason);
            return result;
        }

        if (result.Outcome == CommandOutcomes.Succeeded)
        {
            _ledger.Transition(schedule.RunId, [ScheduledRunState.Stopping, ScheduledRunState.Running], ScheduledRunState.Ended, result.Outcome, result.Reason);
            return result;
        }

        // A stop that did not work is tried again every StopRetryInterval (the server raises failed_to_stop meanwhile),
        // until it does, an operator stops the pump, or MaxStopAttempts.
        var after = _ledger.Update(schedule.RunId, run =>
        {
            if (run.State is not (ScheduledRunState.Stopping or ScheduledRunState.Running))
                return false;
            run.StopAttempts++;
            (run.Outcome, run.Reason) = (result.Outcome, result.Reason);
            if (run.StopAttempts >= MaxStopAttempts)
            {
                run.State = ScheduledRunState.Ended;
                return true;
            }

            (run.State, run.StopDue, run.NextStopMs) = (ScheduledRunState.Running, true, now + (long)StopRetryInterval.TotalMilliseconds);
            return true;
        });
        if (after is { State: ScheduledRunState.Ended })
            _logger.LogError("Plan {Plan}: pump {Pump} at {Station} could not be stopped after {Attempts} attempts ({Reason}); the plan gives up, the crew must act.", after.PlanId, after.Pump, after.Station, after.StopAttempts, result.Reason);
        else if (after is not null)
            _logger.LogWarning("Plan {Plan}: stopping pump {Pump} at {Station} failed ({Reason}); trying again in {Seconds:0} s.", after.PlanId, after.Pump, after.Station, result.Reason, StopRetryInterval.TotalSeconds);
        return result;
    }

    /// <summary>How long after a failed stop the next is tried.</summary>
    public static readonly TimeSpan StopRetryInterval = TimeSpan.FromSeconds(30);

    /// <summary>Stops tried before the plan gives up on a pump (30 min at <see cref="StopRetryInterval"/>).</summary>
    public const int MaxStopAttempts = 60;

    /// <summary>Marks a plan's start as about to reach the controller (the executor calls it just before the write).</summary>
    public void Writing(PumpCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command is { Schedule: { } schedule, Action: PumpAction.Start })
            _ledger.Update(schedule.RunId, run => !run.Written && (run.Written = true));
    }

    /// <summary>
    /// Asked by the executor right before a plan's start acts: null when it may; else why not — the run was ended meanwhile
    /// (an operator's stop), or an operator stopped the pump within the hold after the start was queued.
    /// </summary>
    public (string Reason, string Detail)? StartProblem(PumpCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command is not { Schedule: { } schedule, Action: PumpAction.Start })
            return null;
        var run = _ledger.Find(schedule.RunId);
        if (run is null || run.State != ScheduledRunState.Starting)
            return (ScheduleReasons.OperatorStopped, "the run was ended before its start was made (an operator's stop)");
        if (!run.OverrideHold && _ledger.LastOperatorStop(run.Station, run.Pump) is { } stop
            && _time.GetUtcNow().ToUnixTimeMilliseconds() - stop.AtMs < (long)_options.Schedule.OperatorStopHold.TotalMilliseconds)
            return (ScheduleReasons.OperatorStopped, $"{stop.By} stopped this pump just before; the plan holds for {_options.Schedule.OperatorStopHold.TotalMinutes:0} min");
        return null;
    }

    /// <summary>Records a run the plan did not execute and publishes why (through the outbox: results made offline go out later).</summary>
    public void Missed(ScheduledRun run, string reason, string detail)
    {
        ArgumentNullException.ThrowIfNull(run);
        // A new run, or one just queued whose queue turned out full.
        if (!_ledger.TryAdd(run, ScheduledRunState.Ended, CommandOutcomes.Missed, reason)
            && _ledger.Transition(run.RunId, [ScheduledRunState.Starting], ScheduledRunState.Ended, CommandOutcomes.Missed, reason) is null)
            return;
        _logger.LogWarning("Scheduled run {Run} (pump {Pump} at {Station}) not executed: {Reason} ({Detail}).", run.RunId, run.Pump, run.Station, reason, detail);
        Publish(new CommandResultMessage(run.RunId + "/start", run.Station, run.Pump, "start", CommandOutcomes.Missed, reason, detail, PlanUser(run.PlanId), _time.GetUtcNow().ToUnixTimeMilliseconds(), _options.Id)
        {
            Origin = CommandOrigins.Schedule,
            Schedule = run.Info,
        });
    }

    public static string PlanUser(string planId) => "plan:" + planId;

    private void Publish(CommandResultMessage result) =>
        _outbox.Enqueue(Topics.CommandResult(_options.TopicRoot, result.Station), CommandResultPayload.Write(result));
}
