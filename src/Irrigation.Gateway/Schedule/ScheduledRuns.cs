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
        Publish(new CommandResultMessage(ended.RunId + "/stop", ended.Station, ended.Pump, "stop", CommandOutcomes.Succeeded, ScheduleReasons.ManualStop,
            $"ended early by {command.RequestedBy}'s stop command {command.Id}", PlanUser(ended.PlanId), result.Ts, _options.Id)
        {
            Origin = CommandOrigins.Schedule,
            Schedule = ended.Info,
        });
        return result with { Detail = $"{result.Detail}; ended the scheduled run {ended.RunId} of plan {ended.PlanId}" };
    }

    private CommandResultMessage ScheduledFinished(PumpCommand command, ScheduleInfo schedule, CommandResultMessage result)
    {
        if (command.Action == PumpAction.Start)
        {
            if (result.Outcome == CommandOutcomes.Succeeded && result.Reason == CommandReasons.AlreadyInState)
            {
                _ledger.Transition(schedule.RunId, [ScheduledRunState.Starting], ScheduledRunState.Ended, CommandOutcomes.Missed, ScheduleReasons.AlreadyRunning);
                return result with { Outcome = CommandOutcomes.Missed, Reason = ScheduleReasons.AlreadyRunning, Detail = "the pump was already running (started by hand); the plan leaves it to the operator and will not stop it" };
            }

            var running = result.Outcome == CommandOutcomes.Succeeded;
            _ledger.Transition(schedule.RunId, [ScheduledRunState.Starting], running ? ScheduledRunState.Running : ScheduledRunState.Ended, result.Outcome, result.Reason);
            return result;
        }

        // A stop that failed leaves the run for the failed_to_stop alarm; the plan does not try again on its own.
        _ledger.Transition(schedule.RunId, [ScheduledRunState.Stopping, ScheduledRunState.Running], ScheduledRunState.Ended, result.Outcome, result.Reason);
        return result;
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
