using System.Buffers;

namespace Irrigation.Modbus.Framing;

/// <summary>
/// RTU framing on a 4G DTU's link, where the DTU also sends its own heartbeat packets between Modbus frames.
/// A heartbeat at a frame boundary is reported as <see cref="ModbusFrameStatus.Ignored"/>; everything else is
/// plain <see cref="ModbusRtuFramer"/>.
/// </summary>
public sealed class DtuRtuFramer : IModbusFramer
{
    private readonly byte[] _heartbeat;

    public DtuRtuFramer(ReadOnlySpan<byte> heartbeat)
    {
        if (heartbeat.IsEmpty)
            throw new ArgumentException("A heartbeat pattern is required.", nameof(heartbeat));
        _heartbeat = heartbeat.ToArray();
    }

    public string Name => "rtu";

    public int MaxFrameLength => ModbusRtuFramer.Instance.MaxFrameLength;

    public bool HasTransactionIds => false;

    public int WriteFrame(Span<byte> destination, ushort transactionId, byte unitId, ReadOnlySpan<byte> pdu) =>
        ModbusRtuFramer.Instance.WriteFrame(destination, transactionId, unitId, pdu);

    public ModbusFrameStatus TryReadFrame(in ReadOnlySequence<byte> input, ModbusFrameDirection direction, out ModbusFrame frame, out SequencePosition consumed, out ModbusFrameError error)
    {
        var prefix = (int)Math.Min(input.Length, _heartbeat.Length);
        Span<byte> head = stackalloc byte[prefix];
        input.Slice(0, prefix).CopyTo(head);
        if (head.SequenceEqual(_heartbeat.AsSpan(0, prefix)))
        {
            frame = default;
            error = ModbusFrameError.None;
            if (prefix < _heartbeat.Length)
            {
                // Could still be a heartbeat: wait for the rest before deciding.
                consumed = input.Start;
                return ModbusFrameStatus.Incomplete;
            }

            consumed = input.GetPosition(_heartbeat.Length);
            return ModbusFrameStatus.Ignored;
        }

        return ModbusRtuFramer.Instance.TryReadFrame(input, direction, out frame, out consumed, out error);
    }
}
