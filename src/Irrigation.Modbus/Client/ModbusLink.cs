using System.Buffers;
using Irrigation.Links;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Modbus.Client;

/// <summary>A response frame copied off the wire, kept until the waiting request takes it.</summary>
internal readonly record struct ReceivedFrame(ushort TransactionId, byte UnitId, byte[] Pdu);

/// <summary>
/// One open connection of a <see cref="ModbusClient"/>: the stream with the shared receive loop
/// (<see cref="FrameLink{TFrame, TError}"/>) reading response frames of its framing. RTU, which has no transaction
/// ids, drops a frame cut off mid-way after <see cref="StalePartialFrame"/> of quiet; DTU heartbeats are skipped.
/// </summary>
internal sealed class ModbusLink(Stream stream, IModbusFramer framer, ModbusCounters counters, ILogger logger, string description)
    : FrameLink<ReceivedFrame, ModbusFrameError>(stream, new ResponseReader(framer, counters), logger, description)
{
    /// <summary>
    /// RTU over TCP has no silent interval, but a response cut off mid-frame followed by this much quiet can only
    /// be garbage: it is dropped so it cannot spoil the next response.
    /// </summary>
    internal static readonly TimeSpan StalePartialFrame = FrameLinkTiming.StalePartialFrame;

    private sealed class ResponseReader(IModbusFramer framer, ModbusCounters counters) : IFrameReader<ReceivedFrame, ModbusFrameError>
    {
        public string Name => "Modbus " + framer.Name;

        public bool DropsStalePartialFrames => !framer.HasTransactionIds;

        public FrameReadStatus TryRead(in ReadOnlySequence<byte> input, out ReceivedFrame frame, out SequencePosition consumed, out ModbusFrameError error)
        {
            var status = framer.TryReadFrame(input, ModbusFrameDirection.Response, out var read, out consumed, out error);
            frame = status == ModbusFrameStatus.Complete ? new ReceivedFrame(read.TransactionId, read.UnitId, read.Pdu.ToArray()) : default;
            return status switch
            {
                ModbusFrameStatus.Complete => FrameReadStatus.Complete,
                ModbusFrameStatus.Ignored => FrameReadStatus.Ignored,
                ModbusFrameStatus.Incomplete => FrameReadStatus.Incomplete,
                _ => FrameReadStatus.Malformed,
            };
        }

        // A frame cut off and dropped counts as malformed, as before the shared link.
        public void CountDiscarded(ModbusFrameError error) => counters.Error(error.Kind == ModbusFrameErrorKind.CrcMismatch ? ModbusErrorKind.CrcMismatch : ModbusErrorKind.MalformedFrame);

        public void CountStalePartialFrame() => counters.Error(ModbusErrorKind.MalformedFrame);
    }
}
