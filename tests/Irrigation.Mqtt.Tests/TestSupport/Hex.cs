namespace Irrigation.Mqtt.Tests.TestSupport;

/// <summary>Hex strings as written in the spec ("10 1E 00 04") to and from bytes.</summary>
internal static class Hex
{
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string Format(ReadOnlySpan<byte> bytes) => string.Join(' ', Convert.ToHexString(bytes).Chunk(2).Select(pair => new string(pair)));
}
