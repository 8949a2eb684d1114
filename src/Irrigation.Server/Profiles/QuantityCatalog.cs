using System.Globalization;
using Irrigation.Contracts;
using Irrigation.Devices;

namespace Irrigation.Server.Profiles;

/// <summary>How a quantity key is shown: Chinese label from the device profile, an English label, and the unit.</summary>
public sealed record QuantityInfo(string Label, string LabelEn, string Unit);

/// <summary>
/// Labels and units of every quantity key, from the device profiles (<c>voltage_a</c> → "A相电压", V;
/// <c>pump2.motor_current</c> → "2号泵 电机电流", A). Keys no profile names fall back to the key itself.
/// </summary>
public sealed class QuantityCatalog
{
    private readonly Dictionary<string, QuantityDefinition> _station = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QuantityDefinition> _pump = new(StringComparer.Ordinal);

    public QuantityCatalog(DeviceProfileLibrary library)
    {
        ArgumentNullException.ThrowIfNull(library);
        foreach (var profile in library.Profiles.Values)
        {
            foreach (var q in profile.Quantities)
                _station.TryAdd(q.Name, q);
            if (profile.Pumps is { } pumps)
            {
                foreach (var q in pumps.Quantities)
                    _pump.TryAdd(q.Name, q);
            }
        }
    }

    public QuantityInfo Describe(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (TryParsePumpKey(key, out var pump, out var name))
        {
            return _pump.TryGetValue(name, out var q)
                ? new QuantityInfo($"{pump}号泵 {q.Label ?? q.Name}", $"Pump {pump} {English(q.Name)}", q.Unit)
                : new QuantityInfo(key, English(key), "");
        }

        return _station.TryGetValue(key, out var s) ? new QuantityInfo(s.Label ?? s.Name, English(s.Name), s.Unit) : new QuantityInfo(key, English(key), "");
    }

    /// <summary>Splits <c>pump{n}.{name}</c> (<see cref="PumpKeys"/>).</summary>
    public static bool TryParsePumpKey(string? key, out int pump, out string name)
    {
        name = "";
        if (key is null || !PumpKeys.TryParse(key, out pump, out var quantity))
        {
            pump = 0;
            return false;
        }

        name = quantity;
        return true;
    }

    private static string English(string key)
    {
        var words = key.Replace('.', ' ').Split('_', ' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words.Select((w, i) => i == 0 ? char.ToUpperInvariant(w[0]) + w[1..] : w.Length == 1 ? w.ToUpperInvariant() : w));
    }
}
