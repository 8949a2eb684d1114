namespace Irrigation.FirmwareSim.Physics;

/// <summary>
/// A simulated irrigation pump station (机埠): three-phase supply, pumps with their protection relays, the sump
/// they draw from, the outlet main, an incomer energy meter and a flow totaliser.
/// </summary>
/// <remarks>
/// Pure and deterministic: no clocks, threads or I/O. Time advances only through <see cref="Step"/>, all noise
/// comes from one <c>new Random(Spec.Seed)</c>, and readings are pure functions of the state, so the same seed and
/// the same sequence of calls give the same readings. Not thread-safe: the caller serialises access.
/// </remarks>
public sealed partial class StationModel
{
    private const double PressureSigmaMPa = 0.003;
    private const double PressureLimitMPa = 0.008;
    private const double PressureTauSeconds = 2;

    private readonly Random _random;
    private readonly MainsSupply _supply;
    private readonly PumpModel[] _pumps;
    private readonly Sump _sump;
    private readonly SlowNoise _pressureNoise;
    private double _energyKWh;

    public StationModel(StationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        _random = new Random(spec.Seed);
        _supply = new MainsSupply(spec.NominalPhaseVoltage, spec.FrequencyHz, _random);
        _pumps = new PumpModel[spec.Pumps.Count];
        for (var i = 0; i < _pumps.Length; i++)
            _pumps[i] = new PumpModel(i + 1, spec.Pumps[i], spec.NominalPhaseVoltage, _supply, _random);
        _sump = new Sump(spec.SumpAreaM2, spec.MaxLevelM, spec.InitialLevelM, spec.InflowM3PerHour);
        _pressureNoise = new SlowNoise(_random, PressureSigmaMPa, PressureTauSeconds, PressureLimitMPa);
        FlowTotalM3 = spec.FlowTotaliserInitialM3;
        _energyKWh = spec.EnergyInitialKWh;
    }

    public StationSpec Spec { get; }

    /// <summary>Simulated time since construction: the sum of every <see cref="Step"/>.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>The pumps in number order; <c>Pumps[0]</c> is pump 1.</summary>
    public IReadOnlyList<PumpModel> Pumps => _pumps;

    /// <summary>
    /// Incoming supply present. Setting false zeroes every voltage and stops running pumps without latching a
    /// fault (they stay stopped when it returns); starts are refused until it returns.
    /// </summary>
    public bool MainsPresent
    {
        get => _supply.Present;
        set
        {
            _supply.Present = value;
            if (value)
                return;
            foreach (var pump in _pumps)
                if (pump.Running)
                    pump.Stop();
        }
    }

    /// <summary>Local/remote selector on the cabinet: remote commands act only in remote mode.</summary>
    public bool RemoteMode { get; set; } = true;

    /// <summary>Cabinet door switch (a status input only; it interlocks nothing).</summary>
    public bool DoorOpen { get; set; }

    /// <summary>Canal or river inflow into the sump, m³/h.</summary>
    public double InflowM3PerHour => _sump.InflowM3PerHour;

    /// <summary>Incomer energy meter readings.</summary>
    public MeterReading Meter => IncomerMeter.Read(_supply, _pumps, Spec, _energyKWh);

    /// <summary>Sump (forebay) water level, m, in [0, <see cref="StationSpec.MaxLevelM"/>].</summary>
    public double SumpLevelM => _sump.LevelM;

    /// <summary>
    /// Outlet main pressure, MPa: about 0.02 standing, 0.20 with one pump delivering, +0.02 for each further pump
    /// up to 0.25, following the pumps' flow ramps, with a slow ±0.003 MPa wander.
    /// </summary>
    public double OutletPressureMPa
    {
        get
        {
            double delivering = 0;
            foreach (var pump in _pumps)
                delivering += pump.FlowFraction * pump.DeliveryScale;
            var head = delivering <= 1 ? 0.18 * delivering : Math.Min(0.23, 0.18 + 0.02 * (delivering - 1));
            return Math.Max(0, 0.02 + head + _pressureNoise.Value);
        }
    }

    /// <summary>Outlet flow meter rate, m³/h: the sum of the pumps' deliveries.</summary>
    public double FlowRateM3PerHour
    {
        get
        {
            double flow = 0;
            foreach (var pump in _pumps)
                flow += pump.FlowM3PerHour;
            return flow;
        }
    }

    /// <summary>Outlet flow totaliser, m³.</summary>
    public double FlowTotalM3 { get; private set; }

    /// <summary>True while <paramref name="phase"/> (0 = A, 1 = B, 2 = C) is marked lost.</summary>
    public bool IsPhaseLost(int phase)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(phase);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(phase, MainsSupply.PhaseCount);
        return _supply.IsPhaseLost(phase);
    }

    /// <summary>
    /// Loses (or restores) one supply phase (0 = A, 1 = B, 2 = C): its voltage drops to 0, a running motor
    /// single-phases and trips PhaseLoss after <see cref="StationSpec.PhaseLossTripDelay"/>.
    /// </summary>
    public void SetPhaseLoss(int phase, bool lost)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(phase);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(phase, MainsSupply.PhaseCount);
        _supply.SetPhaseLost(phase, lost);
    }

    /// <summary>
    /// Injects a mechanical overload on a pump (1.0 normal): current and power scale by the factor; at or above
    /// <see cref="StationSpec.OverCurrentTripFactor"/> the pump trips OverCurrent after the delay.
    /// </summary>
    public void SetOverload(int pump, double factor)
    {
        if (!(factor > 0) || double.IsInfinity(factor))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "Overload factor must be positive.");
        PumpAt(pump).OverloadFactor = factor;
    }

    /// <summary>Sets the canal or river inflow into the sump, m³/h.</summary>
    public void SetInflow(double m3PerHour)
    {
        if (!(m3PerHour >= 0) || double.IsInfinity(m3PerHour))
            throw new ArgumentOutOfRangeException(nameof(m3PerHour), m3PerHour, "Inflow must be zero or positive.");
        _sump.InflowM3PerHour = m3PerHour;
    }

    /// <summary>Forces the sump level, m (tests and fault injection).</summary>
    public void SetLevel(double metres)
    {
        if (!(metres >= 0 && metres <= _sump.MaxLevelM))
            throw new ArgumentOutOfRangeException(nameof(metres), metres, $"Level must be in [0, {_sump.MaxLevelM}] m.");
        _sump.LevelM = metres;
    }

    private PumpModel PumpAt(int number)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(number, _pumps.Length);
        return _pumps[number - 1];
    }
}
