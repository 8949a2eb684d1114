namespace Irrigation.FirmwareSim.Physics;

/// <summary>What a three-phase energy meter at the station's incomer reads, in engineering units.</summary>
/// <param name="VoltageA">Phase voltage A, V.</param>
/// <param name="VoltageB">Phase voltage B, V.</param>
/// <param name="VoltageC">Phase voltage C, V.</param>
/// <param name="VoltageAB">Line voltage A-B, V.</param>
/// <param name="VoltageBC">Line voltage B-C, V.</param>
/// <param name="VoltageCA">Line voltage C-A, V.</param>
/// <param name="CurrentA">Phase current A, A.</param>
/// <param name="CurrentB">Phase current B, A.</param>
/// <param name="CurrentC">Phase current C, A.</param>
/// <param name="PowerA">Active power on phase A, W.</param>
/// <param name="PowerB">Active power on phase B, W.</param>
/// <param name="PowerC">Active power on phase C, W.</param>
/// <param name="ActivePowerW">Total active power, W.</param>
/// <param name="ReactivePowerVar">Total reactive power, var: √(S² − P²).</param>
/// <param name="PowerFactor">Total power factor P / S; 1.0 when nothing draws.</param>
/// <param name="FrequencyHz">Supply frequency, Hz; 0 without mains.</param>
/// <param name="ForwardEnergyKWh">Forward (import) active energy register, kWh; never decreases.</param>
public sealed record MeterReading(
    double VoltageA, double VoltageB, double VoltageC,
    double VoltageAB, double VoltageBC, double VoltageCA,
    double CurrentA, double CurrentB, double CurrentC,
    double PowerA, double PowerB, double PowerC, double ActivePowerW,
    double ReactivePowerVar, double PowerFactor, double FrequencyHz,
    double ForwardEnergyKWh);
