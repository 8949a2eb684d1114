using Irrigation.Dlt645.Server;
using Irrigation.Dlt645.Values;
using Irrigation.FirmwareSim.Physics;

namespace Irrigation.FirmwareSim.Dlt645;

/// <summary>
/// Shows the incomer meter's physics to DL/T 645 readers: copies a <see cref="MeterReading"/> into a
/// <see cref="Dlt645MeterDataStore"/> in the formats of <see cref="Dlt645Quantities"/>, as a revenue meter's display
/// registers would hold it. Serving it on a socket is the library's <c>Dlt645MeterServer</c>.
/// </summary>
/// <remarks>
/// The formats bound what a meter can show: XX.XXXX kW holds ±79.9999 kW and XXX.XXX A ±799.999 A (direct-connected
/// meters; larger stations read through CTs on the secondary side), so instantaneous values are clamped to the format.
/// Energy registers roll over at 1,000,000 kWh like a meter's counter; combined active energy equals forward energy
/// because the simulated station never exports.
/// </remarks>
public static class Dlt645MeterImage
{
    public static void Publish(MeterReading reading, Dlt645MeterDataStore meter)
    {
        ArgumentNullException.ThrowIfNull(reading);
        ArgumentNullException.ThrowIfNull(meter);
        decimal[] voltages = [Fit(reading.VoltageA, Dlt645Quantities.VoltageA), Fit(reading.VoltageB, Dlt645Quantities.VoltageB), Fit(reading.VoltageC, Dlt645Quantities.VoltageC)];
        decimal[] currents = [Fit(reading.CurrentA, Dlt645Quantities.CurrentA), Fit(reading.CurrentB, Dlt645Quantities.CurrentB), Fit(reading.CurrentC, Dlt645Quantities.CurrentC)];
        meter.Set(Dlt645Quantities.VoltageA, voltages[0]);
        meter.Set(Dlt645Quantities.VoltageB, voltages[1]);
        meter.Set(Dlt645Quantities.VoltageC, voltages[2]);
        meter.Set(Dlt645Quantities.Voltages, voltages);
        meter.Set(Dlt645Quantities.CurrentA, currents[0]);
        meter.Set(Dlt645Quantities.CurrentB, currents[1]);
        meter.Set(Dlt645Quantities.CurrentC, currents[2]);
        meter.Set(Dlt645Quantities.Currents, currents);
        meter.Set(Dlt645Quantities.ActivePower, Fit(reading.ActivePowerW / 1000, Dlt645Quantities.ActivePower));
        meter.Set(Dlt645Quantities.PowerFactorTotal, Fit(reading.PowerFactor, Dlt645Quantities.PowerFactorTotal));
        meter.Set(Dlt645Quantities.GridFrequency, Fit(reading.FrequencyHz, Dlt645Quantities.GridFrequency));
        var energy = Energy(reading.ForwardEnergyKWh);
        meter.Set(Dlt645Quantities.ForwardActiveEnergy, energy);
        meter.Set(Dlt645Quantities.CombinedActiveEnergy, Math.Min(energy, Dlt645Quantities.CombinedActiveEnergy.Format.MaxMagnitude));
    }

    private static decimal Fit(double value, Dlt645Quantity quantity)
    {
        var format = quantity.Format;
        var max = format.MaxMagnitude;
        var min = format.Signed ? -max : 0;
        var rounded = Math.Round((decimal)Math.Clamp(value, (double)min, (double)max), format.FractionDigits, MidpointRounding.AwayFromZero);
        return Math.Clamp(rounded, min, max);
    }

    private static decimal Energy(double kWh)
    {
        var truncated = Math.Floor((decimal)Math.Max(0, kWh) * 100) / 100;
        return truncated % 1_000_000m;
    }
}
