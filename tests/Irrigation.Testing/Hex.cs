namespace Irrigation.Testing;

/// <summary>Hex strings as written in the specs ("01 03 CD 6B 05", "10 1E 00 04") to and from bytes.</summary>
public static class Hex
{
    public static byte[] Parse(string hex) => Convert.FromHexString((hex ?? "").Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string Format(ReadOnlySpan<byte> bytes) => string.Join(' ', Convert.ToHexString(bytes).Chunk(2).Select(pair => new string(pair)));
}
