namespace Irrigation.FirmwareSim.Physics;

/// <summary>
/// Configuration of one simulated pump station: its pumps, supply, sump and protection settings.
/// All noise in the model comes from <c>new Random(Seed)</c>.
/// </summary>
/// <param name="Pumps">Pump sets, numbered 1.. in list order.</param>
/// <param name="Seed">Seed of the station's only random source.</param>
public sealed record StationSpec(IReadOnlyList<PumpSpec> Pumps, int Seed = 1)
{
    /// <summary>Nominal phase voltage, V; line voltage = √3 × phase.</summary>
    public double NominalPhaseVoltage { get; init; } = 230;

    /// <summary>Nominal supply frequency, Hz.</summary>
    public double FrequencyHz { get; init; } = 50;

    /// <summary>Cabinet electronics and lighting, W, spread evenly over the three phases.</summary>
    public double BaseLoadW { get; init; } = 150;

    /// <summary>Power factor of the base load (switch-mode supplies, LED lighting).</summary>
    public double BaseLoadPowerFactor { get; init; } = 0.95;

    /// <summary>Canal or river inflow feeding the sump (forebay), m³/h.</summary>
    public double InflowM3PerHour { get; init; } = 300;

    /// <summary>Plan area of the sump, m²; level changes by volume / area.</summary>
    public double SumpAreaM2 { get; init; } = 60;

    /// <summary>Sump level at construction, m.</summary>
    public double InitialLevelM { get; init; } = 2.5;

    /// <summary>The sump overflows above this level; the level clamps here, m.</summary>
    public double MaxLevelM { get; init; } = 4.0;

    /// <summary>A pump running below this level for <see cref="DryRunTripDelay"/> trips DryRun, m.</summary>
    public double DryRunTripLevelM { get; init; } = 0.5;

    /// <summary>How long a running pump may stay below the dry-run level.</summary>
    public TimeSpan DryRunTripDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Over-current trips at this multiple of rated current held for <see cref="OverCurrentTripDelay"/>.</summary>
    public double OverCurrentTripFactor { get; init; } = 1.2;

    /// <summary>How long over-current must persist before the trip.</summary>
    public TimeSpan OverCurrentTripDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a running pump may single-phase before the phase-loss trip.</summary>
    public TimeSpan PhaseLossTripDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Outlet flow totaliser reading at construction, m³.</summary>
    public double FlowTotaliserInitialM3 { get; init; }

    /// <summary>Forward active energy reading at construction, kWh.</summary>
    public double EnergyInitialKWh { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Pumps);
        for (var i = 0; i < Pumps.Count; i++)
        {
            if (Pumps[i] is null)
                throw new ArgumentException($"Pump {i + 1} is null.");
            Pumps[i].Validate(i + 1);
        }

        RequirePositive(NominalPhaseVoltage, nameof(NominalPhaseVoltage));
        RequirePositive(FrequencyHz, nameof(FrequencyHz));
        RequirePositive(SumpAreaM2, nameof(SumpAreaM2));
        RequirePositive(MaxLevelM, nameof(MaxLevelM));
        RequirePositive(OverCurrentTripFactor, nameof(OverCurrentTripFactor));
        RequireNonNegative(BaseLoadW, nameof(BaseLoadW));
        RequireNonNegative(InflowM3PerHour, nameof(InflowM3PerHour));
        RequireNonNegative(DryRunTripLevelM, nameof(DryRunTripLevelM));
        RequireNonNegative(FlowTotaliserInitialM3, nameof(FlowTotaliserInitialM3));
        RequireNonNegative(EnergyInitialKWh, nameof(EnergyInitialKWh));
        if (!(BaseLoadPowerFactor > 0 && BaseLoadPowerFactor <= 1))
            throw new ArgumentException($"{nameof(BaseLoadPowerFactor)} must be in (0, 1], was {BaseLoadPowerFactor}.");
        if (!(InitialLevelM >= 0 && InitialLevelM <= MaxLevelM))
            throw new ArgumentException($"{nameof(InitialLevelM)} must be in [0, {MaxLevelM}], was {InitialLevelM}.");
        if (DryRunTripDelay < TimeSpan.Zero || OverCurrentTripDelay < TimeSpan.Zero || PhaseLossTripDelay < TimeSpan.Zero)
            throw new ArgumentException("Trip delays must not be negative.");
    }

    private static void RequirePositive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentException($"{name} must be positive, was {value}.");
    }

    private static void RequireNonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentException($"{name} must be zero or positive, was {value}.");
    }
}
