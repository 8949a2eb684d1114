namespace Irrigation.Sl651.Framing;

/// <summary>
/// The frame check (§6.2.3.1 table 11, §6.5 table 20): CRC-16 with generator X16+X15+X2+1 (8005H) processed
/// LSB first, i.e. the reflected constant A001H, register preset to FFFFH (the procedure of appendix H.3.2, the same as
/// Modbus RTU's). It covers every byte from the first 7EH through the end character and is sent HIGH byte first —
/// unlike Modbus. Checked against every published frame in tests/Irrigation.Sl651.Tests/PublishedVectorTests.cs.
/// </summary>
public static class Sl651Crc
{
    private static readonly ushort[] Table = BuildTable();

    public static ushort Compute(ReadOnlySpan<byte> bytes)
    {
        ushort crc = 0xFFFF;
        foreach (var b in bytes)
            crc = (ushort)((crc >> 8) ^ Table[(crc ^ b) & 0xFF]);
        return crc;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (var n = 0; n < 256; n++)
        {
            var c = (ushort)n;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? (ushort)((c >> 1) ^ 0xA001) : (ushort)(c >> 1);
            table[n] = c;
        }

        return table;
    }
}
