namespace Irrigation.FirmwareSim.Physics;

/// <summary>
/// The protection relay of one motor: three definite-time elements, each with its own timer that runs while its
/// condition holds and restarts from zero when it clears.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Dry run: sump level below <see cref="StationSpec.DryRunTripLevelM"/> for <see cref="StationSpec.DryRunTripDelay"/>.</item>
/// <item>Over-current: average motor current ≥ <see cref="StationSpec.OverCurrentTripFactor"/> × rated current for
/// <see cref="StationSpec.OverCurrentTripDelay"/>; blocked for the first 3 s after a start so the inrush never trips it.</item>
/// <item>Phase loss: a supply phase missing for <see cref="StationSpec.PhaseLossTripDelay"/>.</item>
/// </list>
/// </remarks>
internal sealed class MotorProtection
{
    /// <summary>Over-current is not assessed this long after a start (inrush).</summary>
    public static readonly TimeSpan InrushBlocking = TimeSpan.FromSeconds(3);

    private TimeSpan _dryRun;
    private TimeSpan _overCurrent;
    private TimeSpan _phaseLoss;

    public void Reset()
    {
        _dryRun = TimeSpan.Zero;
        _overCurrent = TimeSpan.Zero;
        _phaseLoss = TimeSpan.Zero;
    }

    /// <summary>Runs the timers for one step and returns the elements that operate (None if the pump may run on).</summary>
    public PumpFault Evaluate(PumpModel pump, StationSpec spec, double sumpLevelM, bool phaseLost, TimeSpan dt)
    {
        if (!pump.Running)
        {
            Reset();
            return PumpFault.None;
        }

        var dry = sumpLevelM < spec.DryRunTripLevelM;
        var over = pump.SinceStart >= InrushBlocking && pump.CurrentA >= spec.OverCurrentTripFactor * pump.RatedCurrentA;

        _dryRun = dry ? _dryRun + dt : TimeSpan.Zero;
        _overCurrent = over ? _overCurrent + dt : TimeSpan.Zero;
        _phaseLoss = phaseLost ? _phaseLoss + dt : TimeSpan.Zero;

        var trips = PumpFault.None;
        if (dry && _dryRun >= spec.DryRunTripDelay)
            trips |= PumpFault.DryRun;
        if (over && _overCurrent >= spec.OverCurrentTripDelay)
            trips |= PumpFault.OverCurrent;
        if (phaseLost && _phaseLoss >= spec.PhaseLossTripDelay)
            trips |= PumpFault.PhaseLoss;
        return trips;
    }
}
