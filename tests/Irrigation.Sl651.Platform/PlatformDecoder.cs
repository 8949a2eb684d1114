using System.Globalization;
using System.Text;

namespace Irrigation.Sl651.Platform;

/// <summary>One element as the platform understood it, by the ASCII code of table C.1 where it knows the leader.</summary>
public sealed record PlatformElement(byte Leader, byte DataDefinition, string Code, string Hex, decimal? Value);

/// <summary>A frame decoded by the reference platform: header fields, and the body fields of the functions it knows.</summary>
public sealed record PlatformFrame(
    bool Up,
    int Centre,
    string Station,
    int Password,
    int Function,
    int End,
    byte[] Body,
    int? Serial,
    DateTime? SendTime,
    string? BodyStation,
    int? Category,
    DateTime? ObservationTime,
    IReadOnlyList<PlatformElement> Elements,
    byte[]? PumpBits)
{
    public decimal? Value(string code) => Elements.FirstOrDefault(e => e.Code == code)?.Value;

    public override string ToString() => $"{(Up ? "up" : "down")} {Function:X2}H serial={Serial} station={Station} elements={string.Join(',', Elements.Select(e => $"{e.Code}={e.Value?.ToString(CultureInfo.InvariantCulture) ?? e.Hex}"))}";
}

/// <summary>
/// The platform's own reading of SL 651-2014 HEX/BCD frames, written from the standard's tables (§6.5 tables 20/21,
/// §6.6.3, appendix C) without the library under test: a bit-by-bit CRC (X16+X15+X2+1, reflected, preset FFFFH, high
/// byte sent first) and a straightforward index walk.
/// </summary>
public static class PlatformDecoder
{
    /// <summary>Leaders of table C.1 the platform names (subset: those a pump or river station sends).</summary>
    private static readonly Dictionary<byte, string> Codes = new()
    {
        [0x05] = "DT", [0x19] = "NS", [0x1A] = "P1", [0x20] = "PJ", [0x22] = "PN05", [0x26] = "PT", [0x27] = "Q",
        [0x38] = "VT", [0x39] = "Z", [0x3A] = "ZB", [0x3B] = "ZU", [0x45] = "ZT", [0x58] = "WP1",
        [0x70] = "VTA", [0x71] = "VTB", [0x72] = "VTC", [0x73] = "VIA", [0x74] = "VIB", [0x75] = "VIC",
    };

    public enum Outcome { NeedMore, Frame, Bad }

    /// <summary>Reads the first frame in <paramref name="buffer"/>; <paramref name="used"/> is how many bytes it (or junk) took.</summary>
    public static Outcome Read(ReadOnlySpan<byte> buffer, out PlatformFrame? frame, out int used, out string problem)
    {
        frame = null;
        used = 0;
        problem = "";
        if (buffer.Length == 0)
            return Outcome.NeedMore;
        if (buffer[0] != 0x7E || (buffer.Length > 1 && buffer[1] != 0x7E))
        {
            var next = buffer[1..].IndexOf((byte)0x7E);
            used = next < 0 ? buffer.Length : next + 1;
            problem = "junk before 7E7E";
            return Outcome.Bad;
        }

        if (buffer.Length < 14)
            return Outcome.NeedMore;
        var flag = buffer[11] >> 4;
        var length = ((buffer[11] & 0x0F) << 8) | buffer[12];
        if ((flag != 0 && flag != 8) || (buffer[13] != 0x02 && buffer[13] != 0x16))
        {
            used = 1;
            problem = "bad flag or start character";
            return Outcome.Bad;
        }

        var total = 14 + length + 3;
        if (buffer.Length < total)
            return Outcome.NeedMore;
        var crc = Crc(buffer[..(total - 2)]);
        if (buffer[total - 2] != (crc >> 8) || buffer[total - 1] != (crc & 0xFF))
        {
            used = total;
            problem = "crc";
            return Outcome.Bad;
        }

        used = total;
        var up = flag == 0;
        var station = Convert.ToHexString(up ? buffer[3..8] : buffer[2..7]);
        var centre = up ? buffer[2] : buffer[7];
        var body = buffer.Slice(14, length).ToArray();
        frame = DecodeBody(up, centre, station, (buffer[8] << 8) | buffer[9], buffer[10], buffer[14 + length], body);
        return Outcome.Frame;
    }

    /// <summary>CRC-16, generator 8005H bit-reversed (A001H), preset FFFFH, bit by bit as appendix H.3.2 describes it.</summary>
    public static int Crc(ReadOnlySpan<byte> bytes)
    {
        var reg = 0xFFFF;
        foreach (var b in bytes)
        {
            reg ^= b;
            for (var bit = 0; bit < 8; bit++)
                reg = (reg & 1) == 1 ? (reg >> 1) ^ 0xA001 : reg >> 1;
        }

        return reg;
    }

    private static PlatformFrame DecodeBody(bool up, int centre, string station, int password, int function, int end, byte[] body)
    {
        int? serial = body.Length >= 2 ? (body[0] << 8) | body[1] : null;
        DateTime? sent = body.Length >= 8 ? Time(body.AsSpan(2, 6)) : null;
        string? bodyStation = null;
        int? category = null;
        DateTime? observed = null;
        var elements = new List<PlatformElement>();
        byte[]? pumps = null;
        var i = 8;
        if (up && body.Length >= 15 && body[8] == 0xF1 && body[9] == 0xF1)
        {
            bodyStation = Convert.ToHexString(body, 10, 5);
            i = 15;
            if (function == 0x4C)
            {
                // Table 73: the pump bytes follow the address directly (count byte, then bits).
                if (body.Length > 15 && body.Length == 16 + body[15])
                    pumps = body[16..];
                i = body.Length;
            }
            else if (body.Length > 15)
            {
                category = body[15];
                i = 16;
            }
        }
        else if (!up && function == 0x4C && end == 0x05 && body.Length > 8 && body.Length == 9 + body[8])
        {
            pumps = body[9..];
            i = body.Length;
        }

        while (up && i + 2 <= body.Length)
        {
            byte leader = body[i], definition = body[i + 1];
            i += 2;
            if (leader == 0xF0 && definition == 0xF0)
            {
                if (i + 5 > body.Length)
                    break;
                observed ??= Time(body.AsSpan(i, 5));
                i += 5;
                continue;
            }

            var count = definition / 8;
            var decimals = definition % 8;
            if (i + count > body.Length)
                break;
            var data = body.AsSpan(i, count);
            var hex = Convert.ToHexString(data);
            Codes.TryGetValue(leader, out var code);
            elements.Add(new PlatformElement(leader, definition, code ?? $"{leader:X2}H", hex, leader == 0x45 ? null : Bcd(hex, decimals)));
            i += count;
        }

        return new PlatformFrame(up, centre, station, password, function, end, body, serial, sent, bodyStation, category, observed, elements, pumps);
    }

    /// <summary>§6.6.3.3a: digits with the point dropped; a leading FF (or FF0) marks a negative number.</summary>
    private static decimal? Bcd(string hex, int decimals)
    {
        var negative = hex.StartsWith("FF", StringComparison.Ordinal);
        var digits = negative ? hex[2..] : hex;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
            return null;
        var text = new StringBuilder(digits);
        if (decimals > 0)
            text.Insert(digits.Length - decimals, '.');
        var value = decimal.Parse(text.ToString(), CultureInfo.InvariantCulture);
        return negative ? -value : value;
    }

    private static DateTime? Time(ReadOnlySpan<byte> bcd)
    {
        // YY is the year in this century (station clocks), not .NET's two-digit window (1930-2029).
        var text = "20" + Convert.ToHexString(bcd);
        var format = bcd.Length == 6 ? "yyyyMMddHHmmss" : "yyyyMMddHHmm";
        return DateTime.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
    }

    /// <summary>A down frame (table 21): 7E7E, station, centre, password, function, 8000H|length, STX, body, end, CRC.</summary>
    public static byte[] Down(string station, int centre, int password, int function, ReadOnlySpan<byte> body, byte end)
    {
        var frame = new byte[14 + body.Length + 3];
        frame[0] = frame[1] = 0x7E;
        Convert.FromHexString(station).CopyTo(frame, 2);
        frame[7] = (byte)centre;
        frame[8] = (byte)(password >> 8);
        frame[9] = (byte)password;
        frame[10] = (byte)function;
        frame[11] = (byte)(0x80 | (body.Length >> 8));
        frame[12] = (byte)body.Length;
        frame[13] = 0x02;
        body.CopyTo(frame.AsSpan(14));
        frame[14 + body.Length] = end;
        var crc = Crc(frame.AsSpan(0, 15 + body.Length));
        frame[^2] = (byte)(crc >> 8);
        frame[^1] = (byte)crc;
        return frame;
    }

    /// <summary>Serial (2 B) and the platform's time YYMMDDHHmmSS as BCD, the body of every acknowledgement (e.g. table 33).</summary>
    public static byte[] SerialAndTime(int serial, DateTime now)
    {
        var text = now.ToString("yyMMddHHmmss", CultureInfo.InvariantCulture);
        var bytes = new byte[8];
        bytes[0] = (byte)(serial >> 8);
        bytes[1] = (byte)serial;
        Convert.FromHexString(text).CopyTo(bytes, 2);
        return bytes;
    }
}
