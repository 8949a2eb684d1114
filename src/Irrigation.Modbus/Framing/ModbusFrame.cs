using System.Buffers;

namespace Irrigation.Modbus.Framing;

/// <summary>Which way a frame travels; RTU needs it to know a frame's length from its function code.</summary>
public enum ModbusFrameDirection
{
    /// <summary>Client to server.</summary>
    Request,

    /// <summary>Server to client.</summary>
    Response,
}

public enum ModbusFrameStatus
{
    /// <summary>Not enough bytes yet; nothing consumed.</summary>
    Incomplete,

    /// <summary>A whole frame; <c>consumed</c> is just past it.</summary>
    Complete,

    /// <summary>Bytes that can never become a valid frame; <c>consumed</c> says what to discard.</summary>
    Malformed,

    /// <summary>Expected non-Modbus bytes (a DTU heartbeat); <c>consumed</c> says what to skip. Not an error.</summary>
    Ignored,
}

/// <summary>Why bytes can never become a valid frame (<see cref="ModbusFrameStatus.Malformed"/>); counted by kind.</summary>
public enum ModbusFrameErrorKind
{
    None,

    /// <summary>RTU: the CRC-16 does not match the frame.</summary>
    CrcMismatch,

    /// <summary>RTU: a function code the framer cannot size, with no valid frame within the maximum length.</summary>
    UnknownFunctionCode,

    /// <summary>RTU: the length the function code implies exceeds the maximum frame.</summary>
    FrameTooLong,

    /// <summary>TCP: the MBAP protocol id is not 0.</summary>
    ProtocolId,

    /// <summary>TCP: the MBAP length is outside what a PDU can be.</summary>
    Length,
}

/// <summary>A framing error: its <see cref="Kind"/> for counters and tests, its <see cref="Detail"/> for the log.</summary>
public readonly record struct ModbusFrameError(ModbusFrameErrorKind Kind, string Detail)
{
    public static ModbusFrameError None => default;

    public override string ToString() => Detail ?? Kind.ToString();
}

/// <summary>
/// One application data unit, as read off the wire. <see cref="Pdu"/> points into the reader's buffer and is
/// valid only until the reader advances: decode it before reading on.
/// </summary>
public readonly struct ModbusFrame
{
    public ModbusFrame(ushort transactionId, byte unitId, ReadOnlySequence<byte> pdu)
    {
        TransactionId = transactionId;
        UnitId = unitId;
        Pdu = pdu;
    }

    /// <summary>MBAP transaction id (TCP framing); always 0 for RTU.</summary>
    public ushort TransactionId { get; }

    /// <summary>Unit identifier (TCP) or slave address (RTU).</summary>
    public byte UnitId { get; }

    public ReadOnlySequence<byte> Pdu { get; }
}

/// <summary>
/// Application data unit framing around a PDU. Modbus TCP and Modbus RTU differ only here; clients and servers
/// are the same above it. Readers follow the BedrockFramework contract: they never throw and never trust a
/// length field beyond the spec's maximum.
/// </summary>
public interface IModbusFramer
{
    /// <summary>"tcp" or "rtu".</summary>
    string Name { get; }

    /// <summary>Largest whole frame, header and checksum included.</summary>
    int MaxFrameLength { get; }

    /// <summary>True when responses are matched to requests by transaction id (TCP); false for RTU.</summary>
    bool HasTransactionIds { get; }

    /// <summary>Writes a whole frame around <paramref name="pdu"/> and returns its length.</summary>
    int WriteFrame(Span<byte> destination, ushort transactionId, byte unitId, ReadOnlySpan<byte> pdu);

    /// <summary>Tries to read one frame from the start of <paramref name="input"/>.</summary>
    ModbusFrameStatus TryReadFrame(in ReadOnlySequence<byte> input, ModbusFrameDirection direction, out ModbusFrame frame, out SequencePosition consumed, out ModbusFrameError error);
}
