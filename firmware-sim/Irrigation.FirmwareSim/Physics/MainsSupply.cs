namespace Irrigation.FirmwareSim.Physics;

/// <summary>
/// The three-phase supply at the incomer. Each phase voltage wanders slowly around nominal (σ 0.4 %,
/// correlation time 10 s, clamped to ±1.2 %); frequency wanders by σ 0.02 Hz (clamped ±0.05 Hz).
/// Without mains every voltage and the frequency read 0; a lost phase reads 0 V.
/// </summary>
internal sealed class MainsSupply
{
    public const int PhaseCount = 3;

    private const double VoltageSigma = 0.004;
    private const double VoltageLimit = 0.012;
    private const double VoltageTauSeconds = 10;
    private const double FrequencySigmaHz = 0.02;
    private const double FrequencyLimitHz = 0.05;
    private const double FrequencyTauSeconds = 20;

    private readonly double _nominalVoltage;
    private readonly double _nominalFrequency;
    private readonly SlowNoise[] _voltageDrift;
    private readonly SlowNoise _frequencyDrift;
    private readonly bool[] _lost = new bool[PhaseCount];

    public MainsSupply(double nominalPhaseVoltage, double nominalFrequencyHz, Random random)
    {
        _nominalVoltage = nominalPhaseVoltage;
        _nominalFrequency = nominalFrequencyHz;
        _voltageDrift = new SlowNoise[PhaseCount];
        for (var p = 0; p < PhaseCount; p++)
            _voltageDrift[p] = new SlowNoise(random, VoltageSigma, VoltageTauSeconds, VoltageLimit);
        _frequencyDrift = new SlowNoise(random, FrequencySigmaHz, FrequencyTauSeconds, FrequencyLimitHz);
    }

    /// <summary>Incoming supply switched on (utility present, incomer closed).</summary>
    public bool Present { get; set; } = true;

    /// <summary>True when the phase carries voltage.</summary>
    public bool IsLive(int phase) => Present && !_lost[phase];

    public bool IsPhaseLost(int phase) => _lost[phase];

    public void SetPhaseLost(int phase, bool lost) => _lost[phase] = lost;

    /// <summary>Mains present but at least one phase missing: a running motor is single-phasing.</summary>
    public bool AnyPhaseLost => Present && Array.IndexOf(_lost, true) >= 0;

    public int LivePhaseCount
    {
        get
        {
            var count = 0;
            for (var p = 0; p < PhaseCount; p++)
                if (IsLive(p))
                    count++;
            return count;
        }
    }

    /// <summary>Phase-to-neutral voltage, V.</summary>
    public double PhaseVoltage(int phase) =>
        IsLive(phase) ? _nominalVoltage * (1 + _voltageDrift[phase].Value) : 0;

    /// <summary>Line voltage between two phases, V: √3 × the mean of the two phase voltages.</summary>
    public double LineVoltage(int from, int to) => Math.Sqrt(3) * (PhaseVoltage(from) + PhaseVoltage(to)) / 2;

    /// <summary>Mean voltage of the live phases, V; 0 when none is live.</summary>
    public double MeanLiveVoltage
    {
        get
        {
            double sum = 0;
            var count = 0;
            for (var p = 0; p < PhaseCount; p++)
            {
                if (!IsLive(p))
                    continue;
                sum += PhaseVoltage(p);
                count++;
            }

            return count == 0 ? 0 : sum / count;
        }
    }

    /// <summary>Supply frequency, Hz; 0 when no phase is live.</summary>
    public double FrequencyHz => LivePhaseCount == 0 ? 0 : _nominalFrequency + _frequencyDrift.Value;

    /// <summary>Advances the voltage and frequency drift; always the same number of draws.</summary>
    public void Advance(Random random, double dtSeconds)
    {
        foreach (var drift in _voltageDrift)
            drift.Advance(random, dtSeconds);
        _frequencyDrift.Advance(random, dtSeconds);
    }
}
