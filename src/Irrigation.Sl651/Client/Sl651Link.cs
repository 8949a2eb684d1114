using System.Buffers;
using Irrigation.Links;
using Irrigation.Sl651.Diagnostics;
using Irrigation.Sl651.Framing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Sl651.Client;

/// <summary>
/// The transport: one open stream with the shared receive loop (<see cref="FrameLink{TFrame, TError}"/>) reading SL 651
/// frames. Framing errors are counted here; a frame cut off and followed by quiet is dropped like DL/T 645's.
/// </summary>
public sealed class Sl651Link(Stream stream, Sl651Counters counters, ILogger logger, string description)
    : FrameLink<Sl651Frame, Sl651FrameError>(stream, new Reader(counters), logger, description)
{
    /// <summary>The <see cref="IFrameReader{TFrame, TError}"/> for SL 651 HEX/BCD frames; public for the test platform's peers.</summary>
    public sealed class Reader(Sl651Counters counters) : IFrameReader<Sl651Frame, Sl651FrameError>
    {
        public string Name => "SL 651";

        public bool DropsStalePartialFrames => true;

        public FrameReadStatus TryRead(in ReadOnlySequence<byte> input, out Sl651Frame frame, out SequencePosition consumed, out Sl651FrameError error)
        {
            var status = Sl651FrameFormatter.TryRead(input, out var read, out consumed, out error);
            frame = read!;
            return status switch
            {
                Sl651ReadStatus.Complete => FrameReadStatus.Complete,
                Sl651ReadStatus.Malformed => FrameReadStatus.Malformed,
                _ => FrameReadStatus.Incomplete,
            };
        }

        public void CountDiscarded(Sl651FrameError error) => counters.Error(Sl651Counters.KindOf(error.Kind));

        public void CountStalePartialFrame() => counters.Error(Sl651ErrorKind.StalePartialFrame);
    }
}
