using System.Buffers;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Tests.TestSupport;

namespace Irrigation.Dlt645.Tests;

public sealed class Dlt645FrameFormatterTests
{
    // Phase A voltage 230.1 V from meter 123456789012 (computed by hand: CS = 77H).
    private const string Reply = "68 12 90 78 56 34 12 68 91 06 33 34 34 35 34 56 77 16";

    [Fact]
    public void Write_VoltageReply_GivesExactBytesWithPreambleAndOffset()
    {
        var frame = new Dlt645Frame(Dlt645Address.Parse("123456789012"), new Dlt645ControlCode(0x91), Hex.Parse("00 01 01 02 01 23"));
        Assert.Equal("FE FE FE FE " + Reply, Hex.Format(Dlt645FrameFormatter.ToArray(frame)));
        Assert.Equal(Reply, Hex.Format(Dlt645FrameFormatter.ToArray(frame, preambleLength: 0)));
    }

    [Fact]
    public void TryRead_WholeFrame_RemovesTheOffsetAndConsumesExactly()
    {
        var bytes = Hex.Parse(Reply + " 68");
        var input = new ReadOnlySequence<byte>(bytes);
        var status = Dlt645FrameFormatter.TryRead(input, out var frame, out var consumed, out _);
        Assert.Equal(Dlt645ReadStatus.Complete, status);
        Assert.Equal(bytes.Length - 1, input.Slice(0, consumed).Length);
        Assert.Equal("123456789012", frame!.Address.ToString());
        Assert.Equal(0x91, frame.Control.Value);
        Assert.Equal("00 01 01 02 01 23", Hex.Format(frame.Data.Span));
    }

    [Fact]
    public void TryRead_EveryTruncation_IsIncompleteAndConsumesNothing()
    {
        var bytes = Hex.Parse(Reply);
        for (var length = 0; length < bytes.Length; length++)
        {
            var input = new ReadOnlySequence<byte>(bytes, 0, length);
            var status = Dlt645FrameFormatter.TryRead(input, out var frame, out var consumed, out var error);
            Assert.Equal(Dlt645ReadStatus.Incomplete, status);
            Assert.Null(frame);
            Assert.Equal(input.Start, consumed);
            Assert.Equal(Dlt645FrameErrorKind.None, error.Kind);
        }
    }

    [Fact]
    public void TryRead_SplitAtEveryByteAndOneBytePerSegment_ReadsTheSameFrame()
    {
        var bytes = Hex.Parse("FE FE FE FE " + Reply);
        for (var cut = 1; cut < bytes.Length; cut++)
            Assert.Equal("00 01 01 02 01 23", Hex.Format(Assert.Single(Frames.ReadAll(Sequences.SplitAt(bytes, cut), out _)).Data.Span));
        Assert.Single(Frames.ReadAll(Sequences.OneBytePerSegment(bytes), out var errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void TryRead_Preamble_IsIgnoredNotAnError()
    {
        var input = new ReadOnlySequence<byte>(Hex.Parse("FE FE FE"));
        var status = Dlt645FrameFormatter.TryRead(input, out _, out var consumed, out var error);
        Assert.Equal(Dlt645ReadStatus.Ignored, status);
        Assert.Equal(Dlt645FrameErrorKind.None, error.Kind);
        Assert.Equal(3, input.Slice(0, consumed).Length);
    }

    [Fact]
    public void TryRead_GarbageBeforeAFrame_IsOneGarbageErrorThenTheFrame()
    {
        var frames = Frames.ReadAll(Hex.Parse("00 11 22 33 " + Reply), out var errors);
        Assert.Equal(Dlt645FrameErrorKind.Garbage, Assert.Single(errors).Kind);
        Assert.Equal(0x91, Assert.Single(frames).Control.Value);
    }

    [Fact]
    public void TryRead_WrongChecksum_IsReportedAndTheNextFrameStillRead()
    {
        var bad = Reply.Replace("77 16", "78 16", StringComparison.Ordinal);
        var frames = Frames.ReadAll(Hex.Parse(bad + " FE FE " + Reply), out var errors);
        var error = Assert.Single(errors);
        Assert.Equal(Dlt645FrameErrorKind.ChecksumMismatch, error.Kind);
        Assert.Equal("CS 0x78, computed 0x77", error.Detail);
        Assert.Single(frames);
    }

    [Fact]
    public void TryRead_MissingSecondStart_IsBadSecondStart()
    {
        var frames = Frames.ReadAll(Hex.Parse("68 12 90 78 56 34 12 69 91 00 00 16"), out var errors);
        Assert.Empty(frames);
        Assert.Equal(Dlt645FrameErrorKind.BadSecondStart, errors[0].Kind);
    }

    [Fact]
    public void TryRead_LengthLargerThanTheFrame_NeverSkipsTheFollowingFrame()
    {
        // L says 0x20 but the "frame" is a damaged 12 bytes; a good frame follows. Trusting L would swallow it.
        var damaged = "68 12 90 78 56 34 12 68 91 20 55 16 ";
        var padding = string.Concat(Enumerable.Repeat("00 ", 40));
        var frames = Frames.ReadAll(Hex.Parse(damaged + Reply + " " + padding), out var errors);
        Assert.Contains(errors, e => e.Kind == Dlt645FrameErrorKind.MissingEndByte);
        Assert.Equal("00 01 01 02 01 23", Hex.Format(Assert.Single(frames).Data.Span));
    }

    [Fact]
    public void TryRead_LengthBeyondWhatArrived_WaitsWithoutConsuming()
    {
        var input = new ReadOnlySequence<byte>(Hex.Parse("68 12 90 78 56 34 12 68 91 FF 33 33"));
        Assert.Equal(Dlt645ReadStatus.Incomplete, Dlt645FrameFormatter.TryRead(input, out _, out var consumed, out _));
        Assert.Equal(input.Start, consumed);
    }

    [Fact]
    public void Write_TooSmallDestination_Throws()
    {
        var frame = new Dlt645Frame(Dlt645Address.Wildcard, new Dlt645ControlCode(0x13), ReadOnlyMemory<byte>.Empty);
        Assert.Throws<ArgumentException>(() => Dlt645FrameFormatter.Write(frame, new byte[15]));
    }
}
