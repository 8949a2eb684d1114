namespace Irrigation.FirmwareSim.Physics;

/// <summary>Nameplate data of one pump set (induction motor driving a centrifugal pump).</summary>
/// <param name="RatedKw">Rated motor shaft output, kW.</param>
/// <param name="RatedFlowM3PerHour">Flow delivered at the duty point, m³/h.</param>
/// <param name="PowerFactor">Motor power factor at rated load (cos φ).</param>
/// <param name="Efficiency">Motor efficiency at rated load; electrical input = shaft output / efficiency.</param>
public sealed record PumpSpec(double RatedKw = 15, double RatedFlowM3PerHour = 400, double PowerFactor = 0.85, double Efficiency = 0.9)
{
    /// <summary>Electrical input at rated load, W: <c>RatedKw × 1000 / Efficiency</c>.</summary>
    public double RatedInputW => RatedKw * 1000 / Efficiency;

    /// <summary>Steady motor current per phase at rated load, A: <c>P / (3 × Uphase × pf)</c>.</summary>
    public double RatedCurrentA(double phaseVoltage) => RatedInputW / (3 * phaseVoltage * PowerFactor);

    internal void Validate(int number)
    {
        if (!(RatedKw > 0) || double.IsInfinity(RatedKw))
            throw new ArgumentException($"Pump {number}: RatedKw must be positive, was {RatedKw}.");
        if (!(RatedFlowM3PerHour >= 0) || double.IsInfinity(RatedFlowM3PerHour))
            throw new ArgumentException($"Pump {number}: RatedFlowM3PerHour must be zero or positive, was {RatedFlowM3PerHour}.");
        if (!(PowerFactor > 0 && PowerFactor <= 1))
            throw new ArgumentException($"Pump {number}: PowerFactor must be in (0, 1], was {PowerFactor}.");
        if (!(Efficiency > 0 && Efficiency <= 1))
            throw new ArgumentException($"Pump {number}: Efficiency must be in (0, 1], was {Efficiency}.");
    }
}
