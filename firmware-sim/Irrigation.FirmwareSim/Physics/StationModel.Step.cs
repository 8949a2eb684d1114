namespace Irrigation.FirmwareSim.Physics;

/// <summary>Time integration.</summary>
/// <remarks>
/// <see cref="Step"/> cuts its interval into sub-steps of at most 100 ms, so one 1 s step and ten 0.1 s steps give
/// identical results and the inrush and trip timers are resolved to 0.1 s whatever the caller's step. Each sub-step:
/// advance the noise (a fixed number of draws), the pumps' run time and flow ramps, move water through the sump and
/// the totaliser, run the protection relays (a trip opens the contactor at once), then integrate the meter's active
/// power into the energy register with the post-step power (backward Euler). Power is never negative, so the
/// energy register never decreases.
/// </remarks>
public sealed partial class StationModel
{
    /// <summary>Longest interval integrated in one go.</summary>
    public static readonly TimeSpan MaxSubstep = TimeSpan.FromMilliseconds(100);

    private const double SecondsPerHour = 3600;
    private const double JoulesPerKWh = 3.6e6;

    /// <summary>Advances the simulation by <paramref name="dt"/> (callers use 0.1–1 s; longer is fine).</summary>
    public void Step(TimeSpan dt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dt, TimeSpan.Zero);
        var remaining = dt;
        while (remaining > TimeSpan.Zero)
        {
            var h = remaining < MaxSubstep ? remaining : MaxSubstep;
            Advance(h);
            remaining -= h;
        }
    }

    private void Advance(TimeSpan dt)
    {
        var seconds = dt.TotalSeconds;
        _supply.Advance(_random, seconds);
        foreach (var pump in _pumps)
            pump.Advance(_random, dt);
        _pressureNoise.Advance(_random, seconds);

        var pumped = _sump.Advance(_pumps, seconds);
        FlowTotalM3 += pumped * seconds / SecondsPerHour;

        var phaseLost = _supply.AnyPhaseLost;
        foreach (var pump in _pumps)
        {
            var trips = pump.Protection.Evaluate(pump, Spec, _sump.LevelM, phaseLost, dt);
            if (trips != PumpFault.None)
                pump.Trip(trips);
        }

        _energyKWh += IncomerMeter.ActivePowerW(_supply, _pumps, Spec) * seconds / JoulesPerKWh;
        Elapsed += dt;
    }
}
