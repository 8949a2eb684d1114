namespace Irrigation.FirmwareSim.Physics;

/// <summary>
/// One pump set as the station's controller and meter see it. Read-only for callers: its state changes only
/// through <see cref="StationModel"/> commands, inputs and <see cref="StationModel.Step"/>.
/// </summary>
/// <remarks>
/// <para>Electrical model (direct-on-line induction motor, constant-power load):</para>
/// <list type="bullet">
/// <item>Steady input <c>Pss = RatedKw × 1000 × load / Efficiency × OverloadFactor</c>, where <c>load</c> is 1.0 at
/// rated flow with a slow ±1 % wander, and falls towards 0.4 when an empty sump starves the pump.</item>
/// <item>Steady current per phase <c>Iss = Pss / (3 × U × pf)</c>, U the mean live phase voltage.</item>
/// <item>Inrush: <c>I(t) = Iss × (1 + 5·e^(−t / 0.4 s))</c>: 6× at the instant of starting, within 4 % of steady at 2 s.</item>
/// <item>Active power during the start ramps as <c>Pss × min(1, t / 1 s)</c>: the locked-rotor current is mostly
/// reactive, so the meter sees the current jump at once, the power follow over a second, and the power factor dip
/// during the start, as on a real direct-on-line start.</item>
/// <item>Single-phasing (one phase lost): the motor keeps turning on the other two, which carry √3 × the current;
/// the active power is unchanged and split between them. With two or three phases gone the motor is not energised.</item>
/// </list>
/// <para>Hydraulics: delivered flow ramps linearly to <c>RatedFlowM3PerHour</c> over 2 s after a start (and back to 0
/// over 2 s after a stop), with a slow ±1 % wander, scaled down when the sump is empty.</para>
/// </remarks>
public sealed class PumpModel
{
    private const double InrushMultiple = 5;
    private const double InrushTauSeconds = 0.4;
    private const double PowerRampSeconds = 1;
    private const double FlowRampSeconds = 2;
    private const double DryRunningLoad = 0.4;
    private const double LoadSigma = 0.005;
    private const double LoadLimit = 0.015;
    private const double LoadTauSeconds = 5;
    private const double FlowSigma = 0.008;
    private const double FlowLimit = 0.02;
    private const double FlowTauSeconds = 3;

    private readonly MainsSupply _supply;
    private readonly SlowNoise _loadNoise;
    private readonly SlowNoise _flowNoise;
    private double _flowFraction;

    internal PumpModel(int number, PumpSpec spec, double nominalPhaseVoltage, MainsSupply supply, Random random)
    {
        Number = number;
        Spec = spec;
        RatedCurrentA = spec.RatedCurrentA(nominalPhaseVoltage);
        _supply = supply;
        _loadNoise = new SlowNoise(random, LoadSigma, LoadTauSeconds, LoadLimit);
        _flowNoise = new SlowNoise(random, FlowSigma, FlowTauSeconds, FlowLimit);
    }

    /// <summary>Pump number, 1-based, as on the cabinet and in commands.</summary>
    public int Number { get; }

    public PumpSpec Spec { get; }

    /// <summary>Contactor closed.</summary>
    public bool Running { get; private set; }

    /// <summary>Latched trips; cleared only by a reset.</summary>
    public PumpFault Faults { get; private set; }

    public bool FaultLatched => Faults != PumpFault.None;

    /// <summary>Successful starts since construction.</summary>
    public uint Starts { get; private set; }

    /// <summary>Accumulated running time, s.</summary>
    public double RunSeconds { get; private set; }

    /// <summary>Injected mechanical overload (1.0 normal); multiplies current and power.</summary>
    public double OverloadFactor { get; internal set; } = 1.0;

    /// <summary>Time since the current run started; zero while stopped.</summary>
    public TimeSpan SinceStart { get; private set; }

    /// <summary>Steady current per phase at rated load and nominal voltage, A: the over-current reference.</summary>
    public double RatedCurrentA { get; }

    /// <summary>Motor current per phase, A: the average of the three line currents.</summary>
    public double CurrentA => (PhaseCurrent(0) + PhaseCurrent(1) + PhaseCurrent(2)) / MainsSupply.PhaseCount;

    /// <summary>Electrical input, W.</summary>
    public double PowerW => Energised ? SteadyInputW * Math.Min(1, SinceStart.TotalSeconds / PowerRampSeconds) : 0;

    /// <summary>Flow delivered into the outlet main, m³/h.</summary>
    public double FlowM3PerHour => PotentialFlowM3PerHour * DeliveryScale;

    /// <summary>Fraction of the potential flow the sump can supply (1 unless the sump is empty); set each step.</summary>
    internal double DeliveryScale { get; set; } = 1;

    /// <summary>Flow the pump would deliver with water to spare, m³/h.</summary>
    internal double PotentialFlowM3PerHour => Spec.RatedFlowM3PerHour * _flowFraction * (1 + _flowNoise.Value);

    /// <summary>0 stopped, 1 at full flow; ramps over 2 s.</summary>
    internal double FlowFraction => _flowFraction;

    internal MotorProtection Protection { get; } = new();

    /// <summary>Running with at least two live phases, so the motor turns.</summary>
    internal bool Energised => Running && _supply.LivePhaseCount >= 2;

    private double SteadyInputW =>
        Spec.RatedInputW * (1 + _loadNoise.Value) * (DryRunningLoad + (1 - DryRunningLoad) * DeliveryScale) * OverloadFactor;

    private double SteadyCurrentA => SteadyInputW / (MainsSupply.PhaseCount * _supply.MeanLiveVoltage * Spec.PowerFactor);

    private double InrushMultiplier => 1 + InrushMultiple * Math.Exp(-SinceStart.TotalSeconds / InrushTauSeconds);

    /// <summary>Line current drawn on one supply phase, A.</summary>
    internal double PhaseCurrent(int phase)
    {
        if (!Energised || !_supply.IsLive(phase))
            return 0;
        var perPhase = SteadyCurrentA * InrushMultiplier;
        return _supply.LivePhaseCount == MainsSupply.PhaseCount ? perPhase : perPhase * Math.Sqrt(3);
    }

    /// <summary>Active power drawn on one supply phase, W: the input split evenly over the live phases.</summary>
    internal double PhasePower(int phase) =>
        Energised && _supply.IsLive(phase) ? PowerW / _supply.LivePhaseCount : 0;

    internal void Start()
    {
        Running = true;
        Starts++;
        SinceStart = TimeSpan.Zero;
        Protection.Reset();
    }

    /// <summary>Opens the contactor without latching anything (command, mains loss).</summary>
    internal void Stop()
    {
        Running = false;
        SinceStart = TimeSpan.Zero;
        Protection.Reset();
    }

    internal void Trip(PumpFault faults)
    {
        Faults |= faults;
        Stop();
    }

    internal void ResetFaults() => Faults = PumpFault.None;

    /// <summary>Advances noise, run time and the flow ramp; always the same number of draws.</summary>
    internal void Advance(Random random, TimeSpan dt)
    {
        var seconds = dt.TotalSeconds;
        _loadNoise.Advance(random, seconds);
        _flowNoise.Advance(random, seconds);
        if (Running)
        {
            SinceStart += dt;
            RunSeconds += seconds;
        }

        var ramp = seconds / FlowRampSeconds;
        _flowFraction = Energised ? Math.Min(1, _flowFraction + ramp) : Math.Max(0, _flowFraction - ramp);
    }
}
