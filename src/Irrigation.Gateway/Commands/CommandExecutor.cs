using Irrigation.Contracts;
using Irrigation.Devices;
using Irrigation.Gateway.Schedule;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Publishing;
using Irrigation.Modbus.Client;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Commands;

/// <summary>
/// Executes one start/stop command safely: refuses it when stale or when an interlock is not met (remote mode,
/// no latched fault, mains present, sump above the dry-run limit, minimum time between starts), writes the
/// profile's start/stop point, and reports success only when the pump's run feedback (and motor current)
/// follows within the feedback timeout. Every command ends with exactly one published result.
/// </summary>
public sealed class CommandExecutor
{
    private static readonly TimeSpan FeedbackPollInterval = TimeSpan.FromMilliseconds(250);

    private readonly GatewayOptions _options;
    private readonly CommandJournal _journal;
    private readonly Outbox _outbox;
    private readonly TimeProvider _time;
    private readonly GatewayCounters _counters;
    private readonly ILogger<CommandExecutor> _logger;
    private readonly RefusalBudget _refusals;
    private long _lastSuppressedLog;

    private readonly ScheduledRuns? _schedule;
    private readonly SupplyLineStarts _lines;

    public CommandExecutor(GatewayOptions options, CommandJournal journal, Outbox outbox, TimeProvider time, GatewayCounters counters, ILogger<CommandExecutor> logger, ScheduledRuns? schedule = null)
    {
        _schedule = schedule;
        _lines = new SupplyLineStarts(time);
        _refusals = new RefusalBudget(time);
        _lastSuppressedLog = long.MinValue; // the first unanswered refusal is logged at once
        _options = options;
        _journal = journal;
        _outbox = outbox;
        _time = time;
        _counters = counters;
        _logger = logger;
    }

    /// <summary>
    /// Publishes a rejection for a command that could not even be parsed (but had an id). Not journalled: junk must not
    /// push genuine ids out of the journal (a genuine command pushed out could be replayed), and an id the journal
    /// knows keeps its real result. False when not answered (a known id, or past the <see cref="RefusalBudget"/>).
    /// </summary>
    public bool RejectUnparsed(string station, string id, string detail)
    {
        if (_journal.Knows(id) || !MayAnswerRefusal())
            return false;
        Publish(new CommandResultMessage(id, station, 0, "", CommandOutcomes.Rejected, CommandReasons.InvalidCommand, detail, "", _time.GetUtcNow().ToUnixTimeMilliseconds(), _options.Id));
        return true;
    }

    /// <summary>
    /// For a refusal that has nothing to answer (junk without an id): true while within the <see cref="RefusalBudget"/>,
    /// so the caller logs it one by one only then.
    /// </summary>
    public bool TryReportRefusal() => MayAnswerRefusal();

    /// <summary>Refusals not answered because of the budget (a flood of junk or forgeries).</summary>
    public long RefusalsNotAnswered { get; private set; }

    /// <summary>The <see cref="RefusalBudget"/>: false past it, with one warning a minute saying how many went unanswered.</summary>
    private bool MayAnswerRefusal()
    {
        if (_refusals.TryTake())
            return true;
        RefusalsNotAnswered++;
        if (_lastSuppressedLog == long.MinValue || _time.GetElapsedTime(_lastSuppressedLog) >= TimeSpan.FromMinutes(1))
        {
            _lastSuppressedLog = _time.GetTimestamp();
            _logger.LogWarning("Security: {Count} more invalid or forged command(s) refused without an answer (more than {PerMinute} a minute); none was acted on.", _refusals.TakeSuppressed(), RefusalBudget.PerMinute);
        }

        return false;
    }

    /// <summary>
    /// Rejects a command whose signature does not hold (forged, altered, signed with an unknown key): never acted on,
    /// and not journalled, so a flood of forgeries cannot push a genuine command's id out of the journal and make that
    /// command replayable. A forgery reusing a known id is not answered: that id keeps its real result. Answers are
    /// bounded by the <see cref="RefusalBudget"/>, so a flood cannot fill the outbox or the server's audit trail.
    /// </summary>
    public bool RejectForged(PumpCommand command, string problem)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_journal.Knows(command.Id) || !MayAnswerRefusal())
            return false;
        Publish(Result(command, CommandOutcomes.Rejected, CommandReasons.BadSignature, problem));
        return true;
    }

    /// <summary>Rejects without acting when the station's queue is full.</summary>
    public void RejectBusy(PumpCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_journal.TryBegin(command.Id, out var earlier))
            Finish(Result(command, CommandOutcomes.Rejected, CommandReasons.Busy, "too many commands queued for this station"));
        else if (earlier is not null)
            Publish(earlier);
    }

    public async Task ExecuteAsync(StationDefinition station, IModbusMaster? link, DeviceReader? controller, PumpCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(station);
        ArgumentNullException.ThrowIfNull(command);
        if (!_journal.TryBegin(command.Id, out var earlier))
        {
            if (earlier is not null)
            {
                _logger.LogInformation("Command {Id} for {Station} repeated; answering with its first result ({Outcome}).", command.Id, station.Id, earlier.Outcome);
                if (command.Schedule is not null)
                    _schedule?.Finished(command, earlier); // queued again after a restart: the run moves on by its first result
                Publish(earlier);
            }

            return;
        }

        CommandResultMessage result;
        try
        {
            result = await DecideAndActAsync(station, link, controller, command, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (command.Schedule is not null)
            {
                // Not finished: the plan's ledger still has it under way and queues it again after the restart, when it is
                // made (or answered already_in_state) — remembering it as failed would orphan a pump it may have started.
                _journal.Abandon(command.Id);
                _logger.LogInformation("Scheduled command {Id} interrupted by the gateway stopping; it is made again after the restart.", command.Id);
                return;
            }

            result = Result(command, CommandOutcomes.Failed, CommandReasons.CommsLost, "gateway stopping");
        }

        _counters.CommandExecuted();
        if (_schedule is not null)
            result = _schedule.Finished(command, result);
        _logger.LogInformation("Command {Id}: {Action} pump {Pump} at {Station} by {User} -> {Outcome} {Reason} {Detail}", command.Id, command.Action, command.Pump, station.Id, command.RequestedBy, result.Outcome, result.Reason ?? "-", result.Detail);
        Finish(result);
    }

    private async Task<CommandResultMessage> DecideAndActAsync(StationDefinition station, IModbusMaster? link, DeviceReader? controller, PumpCommand command, CancellationToken cancellationToken)
    {
        if (_time.GetUtcNow() >= command.ExpiresAt)
            return Result(command, CommandOutcomes.Expired, null, $"expired at {command.ExpiresAt:O}");
        // A plan's start queued before an operator's stop finished must not undo it: asked again right before acting.
        if (_schedule?.StartProblem(command) is { } notNow)
            return Result(command, CommandOutcomes.Missed, notNow.Reason, notNow.Detail);
        if (controller is null || station.Controller is null || link is null)
            return Result(command, CommandOutcomes.Rejected, CommandReasons.NoController, "station has no pump controller");
        if (command.Pump > station.PumpCount)
            return Result(command, CommandOutcomes.Rejected, CommandReasons.UnknownPump, $"station has pumps 1..{station.PumpCount}");

        // Inrush: a start on a shared supply line waits for its turn before the interlocks are read, so they are fresh.
        var lineWait = TimeSpan.Zero;
        if (command.Action == PumpAction.Start && station.Settings.SupplyLine is { } line && _options.Commands.SupplyLineStartGap > TimeSpan.Zero)
        {
            lineWait = _lines.Take(line, _options.Commands.SupplyLineStartGap);
            if (lineWait > TimeSpan.Zero)
            {
                if (_time.GetUtcNow() + lineWait >= command.ExpiresAt)
                    return Result(command, CommandOutcomes.Expired, null, $"supply line {line} is busy with other starts for {lineWait.TotalSeconds:0} s, past the command's expiry");
                _logger.LogInformation("Command {Id}: start of pump {Pump} at {Station} waits {Seconds:0.0} s for its turn on supply line {Line}.", command.Id, command.Pump, station.Id, lineWait.TotalSeconds, line);
                await Task.Delay(lineWait, _time, cancellationToken);
                if (_time.GetUtcNow() >= command.ExpiresAt)
                    return Result(command, CommandOutcomes.Expired, null, $"expired at {command.ExpiresAt:O} while waiting for its turn on supply line {line}");
                if (_schedule?.StartProblem(command) is { } meanwhile)
                    return Result(command, CommandOutcomes.Missed, meanwhile.Reason, meanwhile.Detail);
            }
        }

        var decided = await CheckInterlocksAndActAsync(station, link, controller, command, cancellationToken);
        if (lineWait <= TimeSpan.Zero)
            return decided;
        var waited = $"waited {lineWait.TotalSeconds:0} s for its turn on supply line {station.Settings.SupplyLine}";
        return decided with { Detail = decided.Detail is null ? waited : $"{decided.Detail}; {waited}" };
    }

    private async Task<CommandResultMessage> CheckInterlocksAndActAsync(StationDefinition station, IModbusMaster link, DeviceReader controller, PumpCommand command, CancellationToken cancellationToken)
    {
        var profile = station.Controller!;
        var feedback = profile.Pumps!.Feedback;
        var signals = profile.Profile.Station;
        string Key(string name) => PumpKeys.For(command.Pump, name);

        IReadOnlyList<QuantityValue> state;
        try
        {
            state = await controller.ReadAsync(link, station.ControllerUnitId, cancellationToken);
        }
        catch (ModbusException ex)
        {
            return Result(command, CommandOutcomes.Rejected, CommandReasons.CommsLost, $"cannot read the controller before acting: {ex.Message}");
        }

        double? Value(string key) => ValueOf(state, key);
        if (signals.Remote is { } remote && Value(remote) != 1)
            return Result(command, CommandOutcomes.Rejected, CommandReasons.LocalMode, "the station's selector is in local mode");
        var running = Value(Key(feedback.Running)) == 1;
        var start = command.Action == PumpAction.Start;
        if (start)
        {
            if (Value(Key(feedback.Fault)) == 1)
                return Result(command, CommandOutcomes.Rejected, CommandReasons.FaultLatched, "a fault is latched on this pump; reset it at the station");
            if (signals.MainsPresent is { } mains && Value(mains) != 1)
                return Result(command, CommandOutcomes.Rejected, CommandReasons.NoMains, "no mains power at the station");
            if (signals.SumpLevel is { } level && Value(level) is { } sump && sump <= _options.Commands.DryRunLevel)
                return Result(command, CommandOutcomes.Rejected, CommandReasons.LowSumpLevel, $"sump level {sump:0.00} m is at or below the dry-run limit {_options.Commands.DryRunLevel:0.00} m");
            if (running)
                return Result(command, CommandOutcomes.Succeeded, CommandReasons.AlreadyInState, "pump was already running");
            if (_journal.LastStart(station.Id, command.Pump) is { } last)
            {
                var since = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(last);
                if (since < _options.Commands.MinTimeBetweenStarts)
                    return Result(command, CommandOutcomes.Rejected, CommandReasons.MinStartInterval, $"last start {since.TotalSeconds:0} s ago; minimum is {_options.Commands.MinTimeBetweenStarts.TotalSeconds:0} s");
            }
        }
        else if (!running)
        {
            return Result(command, CommandOutcomes.Succeeded, CommandReasons.AlreadyInState, "pump was already stopped");
        }

        // The interlock read took time: a command must never act late.
        if (_time.GetUtcNow() >= command.ExpiresAt)
            return Result(command, CommandOutcomes.Expired, null, $"expired at {command.ExpiresAt:O} while checking interlocks");

        var control = profile.ControlFor(command.Pump);
        _schedule?.Writing(command); // from here a plan's start may have reached the controller: the plan owns the pump
        try
        {
            if (control.Mode == PumpControlMode.CoilPulse)
                await link.WriteSingleCoilAsync(station.ControllerUnitId, start ? control.StartCoil : control.StopCoil, true, cancellationToken);
            else
                await link.WriteSingleRegisterAsync(station.ControllerUnitId, control.Register, start ? control.StartValue : control.StopValue, cancellationToken);
        }
        catch (ModbusException ex)
        {
            return Result(command, CommandOutcomes.Failed, CommandReasons.WriteFailed, ex.Message);
        }

        return await ConfirmAsync(station, link, controller, command, Key(feedback.Running), feedback.Current is { } c ? Key(c) : null, Key(feedback.Fault), cancellationToken);
    }

    /// <summary>Reads the controller until the run feedback (and current, for a start) follows, or the deadline passes.</summary>
    private async Task<CommandResultMessage> ConfirmAsync(StationDefinition station, IModbusMaster link, DeviceReader controller, PumpCommand command, string runningKey, string? currentKey, string faultKey, CancellationToken cancellationToken)
    {
        var start = command.Action == PumpAction.Start;
        var deadline = _time.GetUtcNow() + _options.Commands.FeedbackTimeout;
        string last = "no feedback read";
        while (_time.GetUtcNow() < deadline)
        {
            await Task.Delay(FeedbackPollInterval, _time, cancellationToken);
            IReadOnlyList<QuantityValue> state;
            try
            {
                state = await controller.ReadAsync(link, station.ControllerUnitId, cancellationToken);
            }
            catch (ModbusException ex)
            {
                last = ex.Message;
                continue;
            }

            double? Value(string key) => ValueOf(state, key);
            var running = Value(runningKey) == 1;
            var current = currentKey is null ? (double?)null : Value(currentKey);
            if (start && Value(faultKey) == 1)
                return Result(command, CommandOutcomes.Failed, CommandReasons.FaultLatched, "the pump tripped while starting");
            if (start && running && (current is null || current >= _options.Commands.MinRunningCurrent))
                return Result(command, CommandOutcomes.Succeeded, null, current is null ? "run feedback on" : $"run feedback on, motor current {current:0.0} A");
            if (!start && !running)
                return Result(command, CommandOutcomes.Succeeded, null, "run feedback off");
            last = $"running={(running ? 1 : 0)}" + (current is null ? "" : $", current {current:0.0} A");
        }

        return Result(command, CommandOutcomes.Failed, CommandReasons.NoFeedback, $"feedback did not follow within {_options.Commands.FeedbackTimeout.TotalSeconds:0.#} s ({last})");
    }

    /// <summary>The value of one quantity in a controller read, or null when the read did not contain it.</summary>
    private static double? ValueOf(IReadOnlyList<QuantityValue> state, string key)
    {
        foreach (var v in state)
        {
            if (v.Key == key)
                return v.Value;
        }

        return null;
    }

    private CommandResultMessage Result(PumpCommand command, string outcome, string? reason, string? detail) =>
        new(command.Id, command.Station, command.Pump, command.Action == PumpAction.Start ? "start" : "stop", outcome, reason, detail, command.RequestedBy, _time.GetUtcNow().ToUnixTimeMilliseconds(), _options.Id)
        {
            Origin = command.Schedule is null ? CommandOrigins.Operator : CommandOrigins.Schedule,
            Schedule = command.Schedule,
        };

    private void Finish(CommandResultMessage result)
    {
        _journal.Complete(result);
        Publish(result);
    }

    private void Publish(CommandResultMessage result) =>
        _outbox.Enqueue(Topics.CommandResult(_options.TopicRoot, result.Station), CommandResultPayload.Write(result));
}
