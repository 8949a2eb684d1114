using System.Globalization;

namespace Irrigation.Dlt645.Framing;

/// <summary>
/// A meter's communication address (DL/T 645-2007 §7.1.2): six bytes A0..A5, two BCD digits each, A0 the lowest.
/// Printed as on the meter's nameplate, highest byte first ("123456789012"); sent on the wire A0 first, so the
/// nameplate order appears reversed in a frame (12 90 78 56 34 12).
/// <list type="bullet">
/// <item><see cref="Wildcard"/> AA AA AA AA AA AA: any meter; only the address read (C = 13H) is meant for it.</item>
/// <item>Abbreviated addressing: high bytes set to AAH are wildcards, the low bytes must match ("AAAA56789012").</item>
/// <item><see cref="Broadcast"/> 99 99 99 99 99 99: broadcast commands (time sync, freeze); never answered.</item>
/// </list>
/// </summary>
public readonly record struct Dlt645Address
{
    public const int Length = 6;
    public const byte WildcardByte = 0xAA;
    public const byte BroadcastByte = 0x99;

    // A0 in the low byte, A5 in bits 40..47: the nameplate's digits in hex, as they would print.
    private readonly ulong _value;

    private Dlt645Address(ulong value) => _value = value;

    /// <summary>AA AA AA AA AA AA: the address the address read (C = 13H) is sent to.</summary>
    public static Dlt645Address Wildcard { get; } = new(0xAAAA_AAAA_AAAAUL);

    /// <summary>99 99 99 99 99 99: broadcast time sync and freeze; meters do not answer it.</summary>
    public static Dlt645Address Broadcast { get; } = new(0x9999_9999_9999UL);

    /// <summary>True for the all-AAH address or an abbreviated one (high bytes AAH).</summary>
    public bool HasWildcards => (_value & 0xFF_0000_0000_00UL) >> 40 == WildcardByte;

    public bool IsBroadcast => _value == Broadcast._value;

    /// <summary>Byte <paramref name="index"/> (0 = A0, the lowest).</summary>
    public byte this[int index] => (uint)index < Length ? (byte)(_value >> (8 * index)) : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Reads A0..A5 as they are sent (A0 first). Any byte value is kept: a reply is judged, not refused.</summary>
    public static Dlt645Address FromWire(ReadOnlySpan<byte> a0First)
    {
        if (a0First.Length < Length)
            throw new ArgumentException($"An address is {Length} bytes, got {a0First.Length}.", nameof(a0First));
        ulong value = 0;
        for (var i = Length - 1; i >= 0; i--)
            value = (value << 8) | a0First[i];
        return new Dlt645Address(value);
    }

    /// <summary>Writes A0..A5, A0 first.</summary>
    public void WriteTo(Span<byte> destination)
    {
        for (var i = 0; i < Length; i++)
            destination[i] = this[i];
    }

    /// <summary>
    /// Parses the nameplate form: 12 decimal digits, or fewer (padded with leading zeros as the standard says), or
    /// with leading "AA" pairs for abbreviated addressing ("AAAAAAAAAAAA" is <see cref="Wildcard"/>).
    /// </summary>
    public static Dlt645Address Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not a DL/T 645 address: 12 decimal digits, high AA pairs allowed.");

    public static bool TryParse(string? text, out Dlt645Address address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var digits = text.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        if (digits.Length is 0 or > 2 * Length)
            return false;
        digits = digits.PadLeft(2 * Length, '0');
        ulong value = 0;
        var wildcardRun = true;
        for (var pair = 0; pair < Length; pair++)
        {
            var hex = digits.AsSpan(2 * pair, 2);
            byte b;
            if (hex is "AA" && wildcardRun)
            {
                b = WildcardByte;
            }
            else
            {
                wildcardRun = false;
                if (!char.IsAsciiDigit(hex[0]) || !char.IsAsciiDigit(hex[1]))
                    return false;
                b = byte.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }

            value = (value << 8) | b;
        }

        address = new Dlt645Address(value);
        return true;
    }

    /// <summary>
    /// Whether a meter whose own address is <paramref name="meter"/> is addressed by this (request) address: equal,
    /// or equal in every byte below the run of high AAH wildcard bytes.
    /// </summary>
    public bool Addresses(Dlt645Address meter)
    {
        for (var i = Length - 1; i >= 0; i--)
        {
            if (this[i] != WildcardByte)
            {
                // Below the wildcard run every byte must match.
                for (var j = i; j >= 0; j--)
                {
                    if (this[j] != meter[j])
                        return false;
                }

                return true;
            }
        }

        return true;
    }

    /// <summary>Nameplate order, highest byte first: "123456789012", "AAAAAAAAAAAA".</summary>
    public override string ToString() => _value.ToString("X12", CultureInfo.InvariantCulture);
}
