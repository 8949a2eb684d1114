namespace Irrigation.Sl651.Framing;

/// <summary>Up: station to centre (flag nibble 0000); down: centre to station (1000) (§6.5, table 20).</summary>
public enum Sl651Direction
{
    Up = 0,
    Down = 8,
}

/// <summary>Packet count and number of one packet of an M3 multi-packet message (SYN framing, table 22): 12 bits each.</summary>
public readonly record struct Sl651Packet(int Count, int Number)
{
    public const int MaxValue = 0xFFF;
}

/// <summary>
/// One HEX/BCD frame (§6.5): header fields, the body between the start character and the end character, and the end
/// character. The start character is STX, or SYN when <see cref="Packet"/> is set. Plain data: the formatter makes
/// bytes of it.
/// </summary>
public sealed record Sl651Frame(
    Sl651Direction Direction,
    byte CentreAddress,
    Sl651StationAddress Station,
    ushort Password,
    byte Function,
    ReadOnlyMemory<byte> Body,
    byte End,
    Sl651Packet? Packet = null)
{
    /// <summary>12 bits of length; M1/M2/M4 allow 1..4095 body bytes (table 20).</summary>
    public const int MaxBodyLength = 0xFFF;

    public Sl651FunctionCode FunctionCode => (Sl651FunctionCode)Function;

    public byte StartChar => Packet is null ? Sl651ControlChar.Stx : Sl651ControlChar.Syn;

    public override string ToString() =>
        $"{Direction} fn={Function:X2}H centre={CentreAddress} station={Station} body={Body.Length}B end={Sl651ControlChar.Name(End)}";
}
