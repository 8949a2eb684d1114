using System.Buffers;
using Irrigation.Dlt645.Framing;

namespace Irrigation.Dlt645.Tests.TestSupport;

/// <summary>Reads every frame out of a byte array the way a receive loop does, for assertions.</summary>
internal static class Frames
{
    public static Dlt645Frame ReadSingle(string hex)
    {
        var frames = ReadAll(Hex.Parse(hex), out var errors);
        Assert.Empty(errors);
        return Assert.Single(frames);
    }

    public static List<Dlt645Frame> ReadAll(byte[] bytes, out List<Dlt645FrameError> errors) => ReadAll(new ReadOnlySequence<byte>(bytes), out errors);

    /// <summary>Loops TryRead until Incomplete; fails the test if a step consumes nothing (a reader that would stall).</summary>
    public static List<Dlt645Frame> ReadAll(ReadOnlySequence<byte> input, out List<Dlt645FrameError> errors)
    {
        var frames = new List<Dlt645Frame>();
        errors = [];
        while (!input.IsEmpty)
        {
            var status = Dlt645FrameFormatter.TryRead(input, out var frame, out var consumed, out var error);
            if (status == Dlt645ReadStatus.Incomplete)
            {
                Assert.Equal(input.Start, consumed);
                break;
            }

            Assert.True(input.Slice(0, consumed).Length > 0, $"{status} consumed nothing");
            if (status == Dlt645ReadStatus.Complete)
                frames.Add(frame!);
            else if (status == Dlt645ReadStatus.Malformed)
                errors.Add(error);
            input = input.Slice(consumed);
        }

        return frames;
    }
}
