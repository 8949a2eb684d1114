namespace Irrigation.FirmwareSim.Physics;

/// <summary>
/// What the three-phase energy meter at the incomer measures, computed from the supply and the loads.
/// </summary>
/// <remarks>
/// Per phase: current = Σ pump line currents + base-load current; active power = Σ pump phase powers + base-load
/// power (in steady state this is <c>U × I × pf</c>). The base load (<see cref="StationSpec.BaseLoadW"/>) is spread
/// evenly over the live phases' share: a lost phase loses its third. Totals: <c>P = Σ Pphase</c>,
/// <c>S = Σ Uphase × Iphase</c>, <c>pf = P / S</c> (1.0 when nothing draws), <c>Q = √(S² − P²)</c>.
/// Currents are added arithmetically, which overstates S slightly when loads of different power factor share a
/// phase; good enough for a simulator.
/// </remarks>
internal static class IncomerMeter
{
    public static MeterReading Read(MainsSupply supply, IReadOnlyList<PumpModel> pumps, StationSpec spec, double energyKWh)
    {
        Span<double> voltage = stackalloc double[MainsSupply.PhaseCount];
        Span<double> current = stackalloc double[MainsSupply.PhaseCount];
        Span<double> power = stackalloc double[MainsSupply.PhaseCount];
        double active = 0;
        double apparent = 0;
        for (var phase = 0; phase < MainsSupply.PhaseCount; phase++)
        {
            voltage[phase] = supply.PhaseVoltage(phase);
            current[phase] = PhaseCurrent(supply, pumps, spec, phase);
            power[phase] = PhasePower(supply, pumps, spec, phase);
            active += power[phase];
            apparent += voltage[phase] * current[phase];
        }

        var powerFactor = apparent > 0 ? Math.Min(1, active / apparent) : 1.0;
        var reactive = Math.Sqrt(Math.Max(0, apparent * apparent - active * active));
        return new MeterReading(
            voltage[0], voltage[1], voltage[2],
            supply.LineVoltage(0, 1), supply.LineVoltage(1, 2), supply.LineVoltage(2, 0),
            current[0], current[1], current[2],
            power[0], power[1], power[2], active,
            reactive, powerFactor, supply.FrequencyHz,
            energyKWh);
    }

    /// <summary>Total active power, W, without building a whole reading.</summary>
    public static double ActivePowerW(MainsSupply supply, IReadOnlyList<PumpModel> pumps, StationSpec spec)
    {
        double active = 0;
        for (var phase = 0; phase < MainsSupply.PhaseCount; phase++)
            active += PhasePower(supply, pumps, spec, phase);
        return active;
    }

    private static double PhaseCurrent(MainsSupply supply, IReadOnlyList<PumpModel> pumps, StationSpec spec, int phase)
    {
        if (!supply.IsLive(phase))
            return 0;
        var current = BasePowerPerPhase(spec) / (supply.PhaseVoltage(phase) * spec.BaseLoadPowerFactor);
        foreach (var pump in pumps)
            current += pump.PhaseCurrent(phase);
        return current;
    }

    private static double PhasePower(MainsSupply supply, IReadOnlyList<PumpModel> pumps, StationSpec spec, int phase)
    {
        if (!supply.IsLive(phase))
            return 0;
        var power = BasePowerPerPhase(spec);
        foreach (var pump in pumps)
            power += pump.PhasePower(phase);
        return power;
    }

    private static double BasePowerPerPhase(StationSpec spec) => spec.BaseLoadW / MainsSupply.PhaseCount;
}
