namespace Irrigation.Sl651.Framing;

/// <summary>Why bytes can never become a valid frame; counted by kind.</summary>
public enum Sl651FrameErrorKind
{
    None,

    /// <summary>Bytes before a frame that are not 7E7EH (line noise, a DTU's own registration packet).</summary>
    Garbage,

    /// <summary>The up/down nibble is neither 0000 nor 1000: the header is damaged.</summary>
    BadDirection,

    /// <summary>No STX/SYN after the header.</summary>
    BadStartChar,

    /// <summary>No end character where the length puts it: the length (or the frame) is damaged.</summary>
    BadEndChar,

    /// <summary>A whole frame whose CRC does not match.</summary>
    CrcMismatch,
}

/// <summary>A framing error: its <see cref="Kind"/> for counters and tests, its <see cref="Detail"/> for the log.</summary>
public readonly record struct Sl651FrameError(Sl651FrameErrorKind Kind, string Detail)
{
    public static Sl651FrameError None => default;

    public override string ToString() => Detail ?? Kind.ToString();
}
