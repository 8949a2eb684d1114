namespace Irrigation.Modbus.Tests.TestSupport;

/// <summary>Hex strings as written in the spec ("01 03 CD 6B 05") to and from bytes.</summary>
internal static class Hex
{
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string Format(ReadOnlySpan<byte> bytes) => string.Join(' ', Convert.ToHexString(bytes).Chunk(2).Select(pair => new string(pair)));
}
