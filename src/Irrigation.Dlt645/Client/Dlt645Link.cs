using System.Buffers;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Irrigation.Links;
using Microsoft.Extensions.Logging;

namespace Irrigation.Dlt645.Client;

/// <summary>
/// The transport: one open stream of a <see cref="Dlt645Client"/> with the shared receive loop
/// (<see cref="FrameLink{TFrame, TError}"/>) reading DL/T 645 frames. Framing errors are counted here; a frame cut off
/// by a silent tunnel is dropped after <see cref="FrameLinkTiming.StalePartialFrame"/> (DL/T 645 has no transaction ids).
/// </summary>
internal sealed class Dlt645Link(Stream stream, Dlt645Counters counters, ILogger logger, string description, byte[]? heartbeat)
    : FrameLink<Dlt645Frame, Dlt645FrameError>(stream, new ReplyReader(counters, heartbeat), logger, description)
{
    private sealed class ReplyReader(Dlt645Counters counters, byte[]? heartbeat) : IFrameReader<Dlt645Frame, Dlt645FrameError>
    {
        public string Name => "DL/T 645";

        public bool DropsStalePartialFrames => true;

        public FrameReadStatus TryRead(in ReadOnlySequence<byte> input, out Dlt645Frame frame, out SequencePosition consumed, out Dlt645FrameError error)
        {
            if (heartbeat is not null && IsHeartbeat(input, out consumed, out var whole))
            {
                frame = null!;
                error = Dlt645FrameError.None;
                return whole ? FrameReadStatus.Ignored : FrameReadStatus.Incomplete;
            }

            var status = Dlt645FrameFormatter.TryRead(input, out var read, out consumed, out error);
            frame = read!;
            return status switch
            {
                Dlt645ReadStatus.Complete => FrameReadStatus.Complete,
                Dlt645ReadStatus.Malformed => FrameReadStatus.Malformed,
                Dlt645ReadStatus.Ignored => FrameReadStatus.Ignored,
                _ => FrameReadStatus.Incomplete,
            };
        }

        /// <summary>The input begins with the heartbeat (or, when <paramref name="whole"/> is false, with a start of it).</summary>
        private bool IsHeartbeat(in ReadOnlySequence<byte> input, out SequencePosition consumed, out bool whole)
        {
            var prefix = (int)Math.Min(input.Length, heartbeat!.Length);
            Span<byte> head = stackalloc byte[prefix];
            input.Slice(0, prefix).CopyTo(head);
            whole = prefix == heartbeat.Length;
            consumed = whole ? input.GetPosition(prefix) : input.Start;
            return prefix > 0 && head.SequenceEqual(heartbeat.AsSpan(0, prefix));
        }

        public void CountDiscarded(Dlt645FrameError error) => counters.Error(Dlt645Counters.KindOf(error.Kind));

        public void CountStalePartialFrame() => counters.Error(Dlt645ErrorKind.StalePartialFrame);
    }
}
