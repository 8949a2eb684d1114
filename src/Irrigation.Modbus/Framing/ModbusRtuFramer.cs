using System.Buffers;
using Irrigation.Modbus.Pdu;

namespace Irrigation.Modbus.Framing;

/// <summary>
/// Modbus RTU framing (Modbus over Serial Line V1.02 §2.5.1), as tunnelled over TCP by 4G DTUs.
/// <code>
/// 00 slave address   01 function   02.. data   last 2: CRC-16, low byte first
/// </code>
/// Over TCP there is no 3.5-character silence to mark frame ends, so the length comes from the function code
/// (and the byte-count field where there is one) instead. The CRC is always checked.
/// </summary>
public sealed class ModbusRtuFramer : IModbusFramer
{
    /// <summary>Address + function + CRC: the smallest possible frame.</summary>
    public const int MinFrameLength = 4;

    public static readonly ModbusRtuFramer Instance = new();

    public string Name => "rtu";

    /// <summary>§2.5.1: 256 bytes = address + 253-byte PDU + 2-byte CRC.</summary>
    public int MaxFrameLength => 1 + ModbusLimits.MaxPduLength + 2;

    public bool HasTransactionIds => false;

    public int WriteFrame(Span<byte> destination, ushort transactionId, byte unitId, ReadOnlySpan<byte> pdu)
    {
        destination[0] = unitId;                       // 00    slave address
        pdu.CopyTo(destination[1..]);                  // 01..  PDU
        var crc = ModbusCrc16.Compute(destination[..(1 + pdu.Length)]);
        destination[1 + pdu.Length] = (byte)crc;       // CRC low byte
        destination[2 + pdu.Length] = (byte)(crc >> 8); // CRC high byte
        return pdu.Length + 3;
    }

    public ModbusFrameStatus TryReadFrame(in ReadOnlySequence<byte> input, ModbusFrameDirection direction, out ModbusFrame frame, out SequencePosition consumed, out ModbusFrameError error)
    {
        frame = default;
        error = ModbusFrameError.None;
        consumed = input.Start;
        if (input.Length < MinFrameLength)
            return ModbusFrameStatus.Incomplete;

        Span<byte> buffer = stackalloc byte[MaxFrameLength];
        var available = (int)Math.Min(input.Length, MaxFrameLength);
        input.Slice(0, available).CopyTo(buffer);
        var bytes = buffer[..available];

        var expected = direction == ModbusFrameDirection.Request ? RequestLength(bytes) : ResponseLength(bytes);
        if (expected == Unknown)
        {
            // Unknown function code: the length cannot be derived. A whole frame is recognised only if the
            // bytes buffered so far carry a valid CRC; otherwise wait, up to the largest frame, then give up.
            if (ModbusCrc16.IsValid(bytes))
                return Complete(input, bytes, available, out frame, out consumed);
            if (available >= MaxFrameLength)
            {
                error = new(ModbusFrameErrorKind.UnknownFunctionCode, $"unknown function code 0x{bytes[1]:X2} and no valid frame within {MaxFrameLength} bytes");
                consumed = input.End;
                return ModbusFrameStatus.Malformed;
            }

            return ModbusFrameStatus.Incomplete;
        }

        if (expected == NeedMore)
            return ModbusFrameStatus.Incomplete;
        if (expected > MaxFrameLength)
        {
            error = new(ModbusFrameErrorKind.FrameTooLong, $"frame length {expected} exceeds {MaxFrameLength}");
            consumed = input.End;
            return ModbusFrameStatus.Malformed;
        }

        if (available < expected)
            return ModbusFrameStatus.Incomplete;

        if (!ModbusCrc16.IsValid(bytes[..expected]))
        {
            // With the frame boundary lost there is nothing to resynchronise on: discard what is buffered.
            error = new(ModbusFrameErrorKind.CrcMismatch, "CRC mismatch");
            consumed = input.End;
            return ModbusFrameStatus.Malformed;
        }

        return Complete(input, bytes, expected, out frame, out consumed);
    }

    private const int Unknown = -1;
    private const int NeedMore = -2;

    private static ModbusFrameStatus Complete(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> bytes, int length, out ModbusFrame frame, out SequencePosition consumed)
    {
        frame = new ModbusFrame(0, bytes[0], input.Slice(1, length - 3));
        consumed = input.GetPosition(length);
        return ModbusFrameStatus.Complete;
    }

    /// <summary>Length of a request frame from its function code (§6 request layouts).</summary>
    private static int RequestLength(ReadOnlySpan<byte> bytes) => bytes[1] switch
    {
        0x01 or 0x02 or 0x03 or 0x04 or 0x05 or 0x06 => 8,             // addr fc a a q q crc crc
        0x0F or 0x10 => bytes.Length < 7 ? NeedMore : 9 + bytes[6],    // addr fc a a q q n data.. crc crc
        _ => Unknown,
    };

    /// <summary>Length of a response frame from its function code (§6 response layouts, §7 exceptions).</summary>
    private static int ResponseLength(ReadOnlySpan<byte> bytes)
    {
        var function = bytes[1];
        if ((function & ModbusLimits.ExceptionFlag) != 0)
            return 5;                                                   // addr fc|80 code crc crc
        return function switch
        {
            0x01 or 0x02 or 0x03 or 0x04 => 5 + bytes[2],               // addr fc n data.. crc crc
            0x05 or 0x06 or 0x0F or 0x10 => 8,                          // addr fc a a v v crc crc
            _ => Unknown,
        };
    }
}
