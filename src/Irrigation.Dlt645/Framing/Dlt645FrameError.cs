namespace Irrigation.Dlt645.Framing;

public enum Dlt645ReadStatus
{
    /// <summary>Not enough bytes yet; nothing consumed.</summary>
    Incomplete,

    /// <summary>A whole frame; <c>consumed</c> is just past it.</summary>
    Complete,

    /// <summary>Bytes that can never become a valid frame; <c>consumed</c> says what to discard.</summary>
    Malformed,

    /// <summary>FEH wake-up bytes before a frame (§7.3.1); <c>consumed</c> says what to skip. Not an error.</summary>
    Ignored,
}

/// <summary>Why bytes can never become a valid frame (<see cref="Dlt645ReadStatus.Malformed"/>); counted by kind.</summary>
public enum Dlt645FrameErrorKind
{
    None,

    /// <summary>Bytes before a frame that are neither the FEH preamble nor the 68H start.</summary>
    Garbage,

    /// <summary>The byte after the address is not the second 68H.</summary>
    BadSecondStart,

    /// <summary>No 16H where L says the frame ends: L (or the frame) is damaged.</summary>
    MissingEndByte,

    /// <summary>CS is not the sum of the bytes from the first 68H through the data.</summary>
    ChecksumMismatch,
}

/// <summary>A framing error: its <see cref="Kind"/> for counters and tests, its <see cref="Detail"/> for the log.</summary>
public readonly record struct Dlt645FrameError(Dlt645FrameErrorKind Kind, string Detail)
{
    public static Dlt645FrameError None => default;

    public override string ToString() => Detail ?? Kind.ToString();
}
