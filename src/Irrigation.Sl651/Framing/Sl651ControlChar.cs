namespace Irrigation.Sl651.Framing;

/// <summary>Frame control characters (SL 651-2014 §6.2.2, table 10); the same in ASCII and HEX/BCD framing.</summary>
public static class Sl651ControlChar
{
    /// <summary>HEX/BCD frame start, sent twice (7E7EH).</summary>
    public const byte Start = 0x7E;

    /// <summary>Body start of a single-packet message.</summary>
    public const byte Stx = 0x02;

    /// <summary>Body start of one packet of a multi-packet message (M3); a 3-byte packet count/number follows.</summary>
    public const byte Syn = 0x16;

    /// <summary>Up: message ends, nothing follows.</summary>
    public const byte Etx = 0x03;

    /// <summary>Up: message ends, more packets follow.</summary>
    public const byte Etb = 0x17;

    /// <summary>Down: a query or control command.</summary>
    public const byte Enq = 0x05;

    /// <summary>Down: acknowledgement, the station may end the link.</summary>
    public const byte Eot = 0x04;

    /// <summary>Down: acknowledgement, continue (more frames expected).</summary>
    public const byte Ack = 0x06;

    /// <summary>Negative acknowledgement: resend the packet named.</summary>
    public const byte Nak = 0x15;

    /// <summary>Down: acknowledgement, the station stays online (10 minutes without a command, then back to its normal mode).</summary>
    public const byte Esc = 0x1B;

    /// <summary>Whether <paramref name="b"/> may end a frame in either direction (tables 20-23).</summary>
    public static bool IsEnd(byte b) => b is Etx or Etb or Enq or Eot or Ack or Nak or Esc;

    /// <summary>Whether a down frame ending so acknowledges the up frame it answers (M2: EOT/ESC; M4 continuation: ACK).</summary>
    public static bool IsAcknowledgement(byte b) => b is Eot or Esc or Ack;

    public static string Name(byte b) => b switch
    {
        Stx => "STX",
        Syn => "SYN",
        Etx => "ETX",
        Etb => "ETB",
        Enq => "ENQ",
        Eot => "EOT",
        Ack => "ACK",
        Nak => "NAK",
        Esc => "ESC",
        _ => $"0x{b:X2}",
    };
}
