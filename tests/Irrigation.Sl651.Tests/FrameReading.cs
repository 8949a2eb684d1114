using System.Buffers;
using Irrigation.Sl651.Framing;

namespace Irrigation.Sl651.Tests;

/// <summary>Reads every frame from a (possibly multi-segment) sequence the way a link does, collecting errors.</summary>
internal static class FrameReading
{
    public static List<Sl651Frame> ReadAll(ReadOnlySequence<byte> input, out List<Sl651FrameError> errors)
    {
        var frames = new List<Sl651Frame>();
        errors = [];
        while (!input.IsEmpty)
        {
            var status = Sl651FrameFormatter.TryRead(input, out var frame, out var consumed, out var error);
            if (status == Sl651ReadStatus.Incomplete)
                break;
            if (status == Sl651ReadStatus.Complete)
                frames.Add(frame!);
            else
                errors.Add(error);
            input = input.Slice(consumed);
        }

        return frames;
    }

    public static List<Sl651Frame> ReadAll(byte[] bytes, out List<Sl651FrameError> errors) => ReadAll(new ReadOnlySequence<byte>(bytes), out errors);
}
