using System.Globalization;

namespace Irrigation.Dlt645.Values;

/// <summary>
/// A data identifier DI3 DI2 DI1 DI0 (DL/T 645-2007 §6, appendix A), written as the standard's tables do, DI3 first:
/// 02010100 is phase A voltage. Sent DI0 first, each byte +33H like the rest of the data field.
/// </summary>
public readonly record struct Dlt645DataIdentifier(uint Value)
{
    public const int Length = 4;

    public byte DI0 => (byte)Value;

    public byte DI1 => (byte)(Value >> 8);

    public byte DI2 => (byte)(Value >> 16);

    public byte DI3 => (byte)(Value >> 24);

    /// <summary>Reads DI0..DI3 (DI0 first) from the start of a data field whose 33H is already removed.</summary>
    public static Dlt645DataIdentifier Read(ReadOnlySpan<byte> di0First)
    {
        if (di0First.Length < Length)
            throw new ArgumentException($"A data identifier is {Length} bytes, got {di0First.Length}.", nameof(di0First));
        return new((uint)(di0First[0] | (di0First[1] << 8) | (di0First[2] << 16) | (di0First[3] << 24)));
    }

    /// <summary>Writes DI0..DI3, DI0 first (without the 33H: the frame formatter adds it).</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination[0] = DI0;
        destination[1] = DI1;
        destination[2] = DI2;
        destination[3] = DI3;
    }

    /// <summary>Parses "02010100" (DI3 first, hexadecimal as in the standard's tables).</summary>
    public static Dlt645DataIdentifier Parse(string text) =>
        text is { Length: 8 } && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? new(value)
            : throw new FormatException($"'{text}' is not a data identifier: 8 hexadecimal digits, DI3 first.");

    public override string ToString() => Value.ToString("X8", CultureInfo.InvariantCulture);
}
