using Irrigation.Modbus.Values;

namespace Irrigation.Devices.Commissioning;

/// <summary>One candidate reading of a register pair (or quad).</summary>
public sealed record WordOrderCandidate(WordOrder Order, double Raw, double Value, bool Plausible);

/// <summary>
/// Decides a meter's word order at commissioning: decodes the same registers in every <see cref="WordOrder"/>
/// and keeps the orders whose value falls inside the range the engineer expects (e.g. 180–260 V for a phase
/// voltage). Exactly one plausible order is an answer; none or several means read another register.
/// </summary>
public static class WordOrderProbe
{
    public static IReadOnlyList<WordOrderCandidate> Evaluate(ReadOnlySpan<ushort> registers, RegisterType type, double scale, double min, double max)
    {
        if (type.RegisterCount() < 2)
            throw new ArgumentException($"{type} spans one register; word order does not apply.", nameof(type));
        if (registers.Length < type.RegisterCount())
            throw new ArgumentException($"{type} needs {type.RegisterCount()} registers, got {registers.Length}.", nameof(registers));
        if (!(min <= max))
            throw new ArgumentException($"min {min} must not exceed max {max}.", nameof(min));

        var candidates = new List<WordOrderCandidate>(4);
        foreach (var order in Enum.GetValues<WordOrder>())
        {
            var raw = RegisterCodec.Decode(registers, type, order);
            var value = raw * scale;
            candidates.Add(new WordOrderCandidate(order, raw, value, double.IsFinite(value) && value >= min && value <= max));
        }

        return candidates;
    }

    /// <summary>The single plausible order, or null when none or several are.</summary>
    public static WordOrder? Verdict(IReadOnlyList<WordOrderCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var plausible = candidates.Where(c => c.Plausible).ToList();
        return plausible.Count == 1 ? plausible[0].Order : null;
    }
}
