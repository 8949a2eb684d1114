using System.Globalization;

namespace Irrigation.Sl651.Values;

/// <summary>Packed BCD as SL 651 uses it: two digits a byte, high digit in the high nibble, most significant byte first.</summary>
public static class Sl651Bcd
{
    public static byte ToBcd(int value) => value is >= 0 and <= 99
        ? (byte)(((value / 10) << 4) | (value % 10))
        : throw new ArgumentOutOfRangeException(nameof(value), value, "Two BCD digits hold 0..99.");

    /// <summary>The value of one BCD byte, or -1 when a nibble is not a digit.</summary>
    public static int FromBcd(byte b) => (b >> 4) > 9 || (b & 0xF) > 9 ? -1 : ((b >> 4) * 10) + (b & 0xF);

    /// <summary>YYMMDDHHmmSS (§6.6.2.5): the send time.</summary>
    public static void WriteSendTime(DateTime time, Span<byte> destination)
    {
        WriteObservationTime(time, destination);
        destination[5] = ToBcd(time.Second);
    }

    /// <summary>YYMMDDHHmm (§6.6.2.8): an observation time.</summary>
    public static void WriteObservationTime(DateTime time, Span<byte> destination)
    {
        destination[0] = ToBcd(time.Year % 100);
        destination[1] = ToBcd(time.Month);
        destination[2] = ToBcd(time.Day);
        destination[3] = ToBcd(time.Hour);
        destination[4] = ToBcd(time.Minute);
    }

    /// <summary>Reads YYMMDDHHmm[SS] (5 or 6 bytes) as a time in 2000..2099; false on a non-digit or an impossible date.</summary>
    public static bool TryReadTime(ReadOnlySpan<byte> bytes, out DateTime time)
    {
        time = default;
        if (bytes.Length is not (5 or 6))
            return false;
        Span<int> parts = stackalloc int[6];
        for (var i = 0; i < bytes.Length; i++)
        {
            parts[i] = FromBcd(bytes[i]);
            if (parts[i] < 0)
                return false;
        }

        if (parts[1] is < 1 or > 12 || parts[2] < 1 || parts[2] > DateTime.DaysInMonth(2000 + parts[0], parts[1]) || parts[3] > 23 || parts[4] > 59 || parts[5] > 59)
            return false;
        time = new DateTime(2000 + parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], DateTimeKind.Unspecified);
        return true;
    }

    public static string Digits(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    internal static bool AllDigits(string hex) => hex.All(char.IsAsciiDigit);

    internal static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
