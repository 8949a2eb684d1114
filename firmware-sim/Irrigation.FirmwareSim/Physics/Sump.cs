namespace Irrigation.FirmwareSim.Physics;

/// <summary>
/// The sump (forebay) the pumps draw from: a tank of constant plan area fed by the canal or river.
/// <c>dL/dt = (inflow − pumped) / area</c>, flows converted from m³/h to m³/s, level clamped to [0, max]
/// (above max the sump overflows back to the canal). An empty sump cannot supply more than its inflow: the
/// pumps' delivery is scaled down to what is there.
/// </summary>
internal sealed class Sump
{
    private const double SecondsPerHour = 3600;

    private readonly double _areaM2;
    private readonly double _maxLevelM;

    public Sump(double areaM2, double maxLevelM, double initialLevelM, double inflowM3PerHour)
    {
        _areaM2 = areaM2;
        _maxLevelM = maxLevelM;
        LevelM = initialLevelM;
        InflowM3PerHour = inflowM3PerHour;
    }

    public double LevelM { get; set; }

    public double InflowM3PerHour { get; set; }

    public double MaxLevelM => _maxLevelM;

    /// <summary>
    /// Moves water for one step: sets each pump's delivery scale and returns the flow actually pumped, m³/h.
    /// </summary>
    public double Advance(IReadOnlyList<PumpModel> pumps, double dtSeconds)
    {
        double potential = 0;
        foreach (var pump in pumps)
            potential += pump.PotentialFlowM3PerHour;

        var inflowM3 = InflowM3PerHour * dtSeconds / SecondsPerHour;
        var wantedM3 = potential * dtSeconds / SecondsPerHour;
        var availableM3 = LevelM * _areaM2 + inflowM3;
        var scale = wantedM3 > availableM3 ? availableM3 / wantedM3 : 1.0;
        foreach (var pump in pumps)
            pump.DeliveryScale = scale;

        LevelM = Math.Clamp(LevelM + (inflowM3 - wantedM3 * scale) / _areaM2, 0, _maxLevelM);
        return potential * scale;
    }
}
