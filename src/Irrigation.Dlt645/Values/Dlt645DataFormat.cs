using System.Globalization;

namespace Irrigation.Dlt645.Values;

/// <summary>
/// A value format of DL/T 645-2007 appendix A, such as <c>XXX.X</c> or <c>XXXXXX.XX</c>: packed BCD, two digits per
/// byte, lowest byte first. Where the standard marks a quantity as signed (power, current, power factor) the top bit
/// of the last (highest) byte is the sign, 1 = negative, and the highest digit has three bits left (0..7):
/// <code>
/// XX.XXXX  -1.2345 kW   digits 01 23 45   bytes (low first) 45 23 01 | 80  ->  45 23 81
/// </code>
/// </summary>
public sealed record Dlt645DataFormat
{
    private Dlt645DataFormat(string pattern, int integerDigits, int fractionDigits, bool signed)
    {
        Pattern = pattern;
        IntegerDigits = integerDigits;
        FractionDigits = fractionDigits;
        Signed = signed;
    }

    /// <summary>As the standard writes it: "XXX.XXX".</summary>
    public string Pattern { get; }

    public int IntegerDigits { get; }

    public int FractionDigits { get; }

    /// <summary>The top bit of the highest byte is the sign (1 = negative).</summary>
    public bool Signed { get; }

    public int Digits => IntegerDigits + FractionDigits;

    public int ByteLength => Digits / 2;

    /// <summary>Largest magnitude: all nines, or 7 then nines when the top bit is the sign.</summary>
    public decimal MaxMagnitude
    {
        get
        {
            var raw = Signed ? (8 * Pow10(Digits - 1)) - 1 : Pow10(Digits) - 1;
            return raw / Pow10(FractionDigits);
        }
    }

    /// <summary>Parses "XXX.X", "XX.XXXX", "XXXXXX.XX"... The digit count must be even (whole bytes).</summary>
    public static Dlt645DataFormat Parse(string pattern, bool signed = false)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var dot = pattern.IndexOf('.', StringComparison.Ordinal);
        var integer = dot < 0 ? pattern.Length : dot;
        var fraction = dot < 0 ? 0 : pattern.Length - dot - 1;
        var valid = pattern.Length > 0 && pattern.Replace(".", string.Empty, StringComparison.Ordinal).All(c => c == 'X')
            && pattern.Count(c => c == '.') <= 1 && (integer + fraction) % 2 == 0 && integer + fraction is > 0 and <= 16;
        if (!valid)
            throw new FormatException($"'{pattern}' is not a DL/T 645 value format: X digits, at most one '.', an even count up to 16.");
        return new Dlt645DataFormat(pattern, integer, fraction, signed);
    }

    /// <summary>
    /// Decodes <see cref="ByteLength"/> bytes (33H already removed). False for a nibble above 9 — meters send FFH
    /// for a quantity they do not have — or too few bytes. Never throws.
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> lowFirst, out decimal value)
    {
        value = 0;
        if (lowFirst.Length < ByteLength)
            return false;
        decimal raw = 0;
        var negative = false;
        for (var i = ByteLength - 1; i >= 0; i--)
        {
            var b = lowFirst[i];
            if (i == ByteLength - 1 && Signed)
            {
                negative = (b & 0x80) != 0;
                b &= 0x7F;
            }

            int high = b >> 4, low = b & 0x0F;
            if (high > 9 || low > 9)
                return false;
            raw = (raw * 100) + (high * 10) + low;
        }

        value = raw / Pow10(FractionDigits);
        if (negative)
            value = -value;
        return true;
    }

    /// <summary>Decodes or throws <see cref="FormatException"/>; for callers that have checked the data is theirs.</summary>
    public decimal Decode(ReadOnlySpan<byte> lowFirst) =>
        TryDecode(lowFirst, out var value) ? value : throw new FormatException($"Bytes {Convert.ToHexString(lowFirst)} are not a {Pattern} BCD value.");

    /// <summary>
    /// Encodes <paramref name="value"/>, rounded half away from zero to <see cref="FractionDigits"/>, into
    /// <see cref="ByteLength"/> bytes, lowest first (33H not added). Throws when it does not fit the format.
    /// </summary>
    public void Encode(decimal value, Span<byte> lowFirst)
    {
        if (lowFirst.Length < ByteLength)
            throw new ArgumentException($"{Pattern} needs {ByteLength} bytes.", nameof(lowFirst));
        var scaled = Math.Round(Math.Abs(value) * Pow10(FractionDigits), MidpointRounding.AwayFromZero);
        if (value < 0 && !Signed)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"{Pattern} is unsigned.");
        if (scaled / Pow10(FractionDigits) > MaxMagnitude)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"{Pattern} holds at most ±{MaxMagnitude.ToString(CultureInfo.InvariantCulture)}.");
        var negative = value < 0 && scaled != 0;
        for (var i = 0; i < ByteLength; i++)
        {
            var pair = (int)(scaled % 100);
            scaled = Math.Floor(scaled / 100);
            lowFirst[i] = (byte)(((pair / 10) << 4) | (pair % 10));
        }

        if (negative)
            lowFirst[ByteLength - 1] |= 0x80;
    }

    public byte[] Encode(decimal value)
    {
        var bytes = new byte[ByteLength];
        Encode(value, bytes);
        return bytes;
    }

    public override string ToString() => Signed ? $"±{Pattern}" : Pattern;

    private static decimal Pow10(int exponent)
    {
        decimal result = 1;
        for (var i = 0; i < exponent; i++)
            result *= 10;
        return result;
    }
}
