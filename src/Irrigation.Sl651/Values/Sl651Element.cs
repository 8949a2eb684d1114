using System.Globalization;

namespace Irrigation.Sl651.Values;

/// <summary>One element group of a body: identifier and its raw data bytes (BCD for numbers, HEX for ZT).</summary>
public sealed record Sl651Element(Sl651ElementIdentifier Identifier, ReadOnlyMemory<byte> Data)
{
    /// <summary>
    /// A decimal number as BCD (§6.6.3.1, §6.6.3.3a): the point dropped, <paramref name="decimals"/> digits after it,
    /// right-aligned in the definition's bytes; a negative value gets a leading FFH byte (FF0 + digits when the digit
    /// count is odd), so its byte count is one more. Throws when the value does not fit; rounds half away from zero.
    /// </summary>
    public static Sl651Element Number(Sl651ElementDefinition definition, decimal value)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Number(definition.Leader, definition.ByteLength, definition.Decimals, value);
    }

    public static Sl651Element Number(byte leader, int byteLength, int decimals, decimal value)
    {
        var scaled = decimal.Round(Math.Abs(value) * Pow10(decimals), 0, MidpointRounding.AwayFromZero);
        var digits = scaled.ToString("0", CultureInfo.InvariantCulture);
        if (digits.Length > byteLength * 2)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"{value} needs {digits.Length} digits; {byteLength} BCD bytes hold {byteLength * 2}.");
        var negative = value < 0 && scaled != 0;
        var data = new byte[byteLength + (negative ? 1 : 0)];
        var text = digits.PadLeft(byteLength * 2, '0');
        var offset = 0;
        if (negative)
            data[offset++] = 0xFF;
        for (var i = 0; i < byteLength; i++)
            data[offset + i] = (byte)(((text[2 * i] - '0') << 4) | (text[(2 * i) + 1] - '0'));
        return new Sl651Element(Sl651ElementIdentifier.Numeric(leader, data.Length, decimals), data);
    }

    /// <summary>The status and alarm word (ZT, 45H, 4 bytes HEX, table 58).</summary>
    public static Sl651Element Status(Sl651StatusBits bits)
    {
        var data = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data, (uint)bits);
        return new Sl651Element(Sl651Elements.Status, data);
    }

    /// <summary>Reads the data as a signed BCD number with the identifier's decimals; false for non-digits or a ZT word.</summary>
    public bool TryGetNumber(out decimal value)
    {
        value = 0;
        if (Identifier.Leader == Sl651Elements.StatusLeader || Data.IsEmpty)
            return false;
        var span = Data.Span;
        var negative = span[0] == 0xFF;
        if (negative)
            span = span[1..];
        decimal magnitude = 0;
        foreach (var b in span)
        {
            var pair = Sl651Bcd.FromBcd(b);
            if (pair < 0)
                return false;
            magnitude = (magnitude * 100) + pair;
        }

        value = magnitude / Pow10(Identifier.Decimals);
        if (negative)
            value = -value;
        return true;
    }

    public bool TryGetStatus(out Sl651StatusBits bits)
    {
        bits = Sl651StatusBits.None;
        if (Identifier.Leader != Sl651Elements.StatusLeader || Data.Length != 4)
            return false;
        bits = (Sl651StatusBits)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(Data.Span);
        return true;
    }

    private static decimal Pow10(int n)
    {
        decimal p = 1;
        for (var i = 0; i < n; i++)
            p *= 10;
        return p;
    }

    public override string ToString() => $"{Identifier}:{Convert.ToHexString(Data.Span)}";
}
