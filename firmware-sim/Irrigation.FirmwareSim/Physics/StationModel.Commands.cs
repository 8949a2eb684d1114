namespace Irrigation.FirmwareSim.Physics;

/// <summary>Start, stop and reset commands, remote (over Modbus) and local (buttons on the cabinet).</summary>
/// <remarks>
/// Interlocks, checked in this order: the selector (remote commands need remote mode, a local start needs local
/// mode), a latched fault (start refused until reset), mains power (start refused without it), then the pump's
/// state (<see cref="CommandOutcome.AlreadyInState"/>). The cabinet's stop and reset buttons work in either mode:
/// an operator standing at the cabinet can always stop a pump.
/// </remarks>
public sealed partial class StationModel
{
    /// <summary>Remote start (1-based pump number).</summary>
    public CommandOutcome Start(int pump)
    {
        var target = PumpAt(pump);
        return RemoteMode ? StartPump(target) : CommandOutcome.RefusedLocalMode;
    }

    /// <summary>Remote stop.</summary>
    public CommandOutcome Stop(int pump)
    {
        var target = PumpAt(pump);
        return RemoteMode ? StopPump(target) : CommandOutcome.RefusedLocalMode;
    }

    /// <summary>Remote fault reset: clears latched trips of a stopped pump (a tripped pump is always stopped).</summary>
    public CommandOutcome ResetFaults(int pump)
    {
        var target = PumpAt(pump);
        return RemoteMode ? ResetPump(target) : CommandOutcome.RefusedLocalMode;
    }

    /// <summary>Start button on the cabinet: works in local mode only.</summary>
    public CommandOutcome LocalStart(int pump)
    {
        var target = PumpAt(pump);
        return RemoteMode ? CommandOutcome.RefusedRemoteMode : StartPump(target);
    }

    /// <summary>Stop button on the cabinet: works in either mode.</summary>
    public CommandOutcome LocalStop(int pump) => StopPump(PumpAt(pump));

    /// <summary>Reset button on the cabinet: works in either mode.</summary>
    public CommandOutcome LocalResetFaults(int pump) => ResetPump(PumpAt(pump));

    private CommandOutcome StartPump(PumpModel pump)
    {
        if (pump.FaultLatched)
            return CommandOutcome.RefusedFaultLatched;
        if (!MainsPresent)
            return CommandOutcome.RefusedNoMains;
        if (pump.Running)
            return CommandOutcome.AlreadyInState;
        pump.Start();
        return CommandOutcome.Accepted;
    }

    private static CommandOutcome StopPump(PumpModel pump)
    {
        if (!pump.Running)
            return CommandOutcome.AlreadyInState;
        pump.Stop();
        return CommandOutcome.Accepted;
    }

    private static CommandOutcome ResetPump(PumpModel pump)
    {
        if (!pump.FaultLatched)
            return CommandOutcome.AlreadyInState;
        pump.ResetFaults();
        return CommandOutcome.Accepted;
    }
}
