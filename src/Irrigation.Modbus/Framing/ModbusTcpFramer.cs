using System.Buffers;
using System.Buffers.Binary;
using Irrigation.Modbus.Pdu;

namespace Irrigation.Modbus.Framing;

/// <summary>
/// Modbus TCP framing (Modbus Messaging on TCP/IP Implementation Guide V1.0b §3.1.3): a 7-byte MBAP header,
/// then the PDU. No checksum: TCP carries integrity.
/// <code>
/// 00-01 transaction id   02-03 protocol id (0)   04-05 length (unit id + PDU)   06 unit id   07.. PDU
/// </code>
/// </summary>
public sealed class ModbusTcpFramer : IModbusFramer
{
    public const int HeaderLength = 7;

    public static readonly ModbusTcpFramer Instance = new();

    public string Name => "tcp";

    /// <summary>§4.1: 260 bytes = 7-byte MBAP + 253-byte PDU.</summary>
    public int MaxFrameLength => HeaderLength + ModbusLimits.MaxPduLength;

    public bool HasTransactionIds => true;

    public int WriteFrame(Span<byte> destination, ushort transactionId, byte unitId, ReadOnlySpan<byte> pdu)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, transactionId);                  // 00-01 transaction id
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);                         // 02-03 protocol id
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)(pdu.Length + 1));  // 04-05 length
        destination[6] = unitId;                                                            // 06    unit id
        pdu.CopyTo(destination[HeaderLength..]);                                            // 07..  PDU
        return HeaderLength + pdu.Length;
    }

    public ModbusFrameStatus TryReadFrame(in ReadOnlySequence<byte> input, ModbusFrameDirection direction, out ModbusFrame frame, out SequencePosition consumed, out ModbusFrameError error)
    {
        frame = default;
        error = ModbusFrameError.None;
        consumed = input.Start;
        if (input.Length < HeaderLength)
            return ModbusFrameStatus.Incomplete;

        Span<byte> header = stackalloc byte[HeaderLength];
        input.Slice(0, HeaderLength).CopyTo(header);
        var transactionId = BinaryPrimitives.ReadUInt16BigEndian(header);
        var protocolId = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        var length = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);

        // A wrong protocol id or an impossible length means the stream is out of step: nothing after it
        // can be trusted, so the caller discards everything buffered (and a server drops the connection).
        if (protocolId != 0)
        {
            error = new(ModbusFrameErrorKind.ProtocolId, $"MBAP protocol id {protocolId}, expected 0");
            consumed = input.End;
            return ModbusFrameStatus.Malformed;
        }

        if (length < 2 || length > ModbusLimits.MaxPduLength + 1)
        {
            error = new(ModbusFrameErrorKind.Length, $"MBAP length {length} outside 2..{ModbusLimits.MaxPduLength + 1}");
            consumed = input.End;
            return ModbusFrameStatus.Malformed;
        }

        var total = HeaderLength - 1 + length;
        if (input.Length < total)
            return ModbusFrameStatus.Incomplete;

        frame = new ModbusFrame(transactionId, header[6], input.Slice(HeaderLength, length - 1));
        consumed = input.GetPosition(total);
        return ModbusFrameStatus.Complete;
    }
}
