namespace Irrigation.Modbus.Tests.TestSupport;

/// <summary>
/// CRC-16/MODBUS computed bit by bit, straight from the serial-line spec's description (§6.2.2), so tests do not
/// check the library's table-driven CRC against itself.
/// </summary>
internal static class ReferenceCrc
{
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1;
        }

        return (ushort)crc;
    }

    /// <summary>Returns <paramref name="frame"/> followed by its CRC, low byte first.</summary>
    public static byte[] Append(ReadOnlySpan<byte> frame)
    {
        var crc = Compute(frame);
        return [.. frame, (byte)crc, (byte)(crc >> 8)];
    }

    /// <summary>An RTU frame from hex without its CRC: <c>Rtu("01 03 00 00 00 01")</c>.</summary>
    public static byte[] Rtu(string hexWithoutCrc) => Append(Hex.Parse(hexWithoutCrc));
}
