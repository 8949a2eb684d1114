using System.Buffers;
using Irrigation.Modbus.Framing;

namespace Irrigation.Modbus.Tests.TestSupport;

/// <summary>One frame as a raw test peer saw it: header fields and a copy of the PDU.</summary>
internal sealed record RawFrame(ushort TransactionId, byte UnitId, byte[] Pdu);

/// <summary>Reads whole frames off a raw stream for test peers that play a misbehaving master or slave.</summary>
internal sealed class RawFrameReader
{
    private readonly Stream _stream;
    private readonly IModbusFramer _framer;
    private readonly ModbusFrameDirection _direction;
    private readonly byte[] _buffer = new byte[4096];
    private int _count;

    public RawFrameReader(Stream stream, IModbusFramer framer, ModbusFrameDirection direction)
    {
        _stream = stream;
        _framer = framer;
        _direction = direction;
    }

    /// <summary>The next whole frame, or null when the peer closed the connection.</summary>
    public async Task<RawFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_count > 0)
            {
                var buffered = new ReadOnlySequence<byte>(_buffer, 0, _count);
                var status = _framer.TryReadFrame(buffered, _direction, out var frame, out var consumed, out var error);
                if (status == ModbusFrameStatus.Malformed)
                    throw new InvalidDataException($"test peer got a malformed frame: {error}");
                if (status == ModbusFrameStatus.Complete)
                {
                    var result = new RawFrame(frame.TransactionId, frame.UnitId, frame.Pdu.ToArray());
                    var used = (int)buffered.Slice(0, consumed).Length;
                    Buffer.BlockCopy(_buffer, used, _buffer, 0, _count - used);
                    _count -= used;
                    return result;
                }
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_count), cancellationToken);
            if (read == 0)
                return null;
            _count += read;
        }
    }
}
