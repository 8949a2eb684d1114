namespace Irrigation.Interop.Tests.Peers;

/// <summary>Coil and input patterns written as strings, first bit first: "1011" is [on, off, on, on].</summary>
internal static class BitPattern
{
    public static bool[] Parse(string pattern) => pattern.Select(c => c == '1').ToArray();

    public static ushort[] AsRegisters(string pattern) => pattern.Select(c => c == '1' ? (ushort)1 : (ushort)0).ToArray();
}
