using System.Globalization;

namespace Irrigation.Sl651.Framing;

/// <summary>
/// A remote (telemetry) station address: 5 bytes A5..A1, A5 first on the wire (§6.2.3.2). Hydrological stations use
/// 00 + 8 BCD digits (SL 502), others a GB 2260 county code in BCD plus a 2-byte HEX number; either way the bytes are
/// carried as they are, so the address is kept and written as 10 hex digits ("0012345678").
/// </summary>
public readonly record struct Sl651StationAddress
{
    public const int Length = 5;
    private const ulong Mask = 0xFF_FFFF_FFFF;

    public Sl651StationAddress(ulong value)
    {
        if (value > Mask)
            throw new ArgumentOutOfRangeException(nameof(value), "A station address is 5 bytes.");
        Value = value;
    }

    /// <summary>The 5 bytes as a number, A5 highest.</summary>
    public ulong Value { get; }

    public static Sl651StationAddress Parse(string text)
    {
        if (!TryParse(text, out var address))
            throw new FormatException($"'{text}' is not a station address (10 hex digits, e.g. 0012345678).");
        return address;
    }

    public static bool TryParse(string? text, out Sl651StationAddress address)
    {
        address = default;
        if (text is null || text.Length != 2 * Length || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            return false;
        address = new Sl651StationAddress(value);
        return true;
    }

    public static Sl651StationAddress FromWire(ReadOnlySpan<byte> bytes)
    {
        ulong value = 0;
        for (var i = 0; i < Length; i++)
            value = (value << 8) | bytes[i];
        return new Sl651StationAddress(value);
    }

    public void WriteTo(Span<byte> destination)
    {
        for (var i = 0; i < Length; i++)
            destination[i] = (byte)(Value >> (8 * (Length - 1 - i)));
    }

    public override string ToString() => Value.ToString("X10", CultureInfo.InvariantCulture);
}
