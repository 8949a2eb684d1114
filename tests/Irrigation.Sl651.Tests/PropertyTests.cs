using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Irrigation.Sl651.Platform;

namespace Irrigation.Sl651.Tests;

/// <summary>
/// Property checks: every up message survives encode → bytes → frame → decode, split anywhere; the reference platform
/// reads the same values from our bytes; and no input, however random or damaged, makes a reader throw or stall.
/// </summary>
public sealed class PropertyTests
{
    [Fact]
    public void UpMessage_EncodeThenDecodeSplitAnywhere_GivesTheSameBody() =>
        PropertyCheck.ForAll(
            from message in Sl651Gen.Up
            from header in Sl651Gen.Header
            from cut in Gen.Choose(0, 1000)
            select (message, header, cut),
            sample =>
            {
                var bytes = Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(sample.message, sample.header));
                var frame = Assert.Single(FrameReading.ReadAll(Sequences.SplitAt(bytes, sample.cut % (bytes.Length + 1)), out var errors));
                Assert.Empty(errors);
                Assert.Equal(sample.header, new Sl651Header(frame.CentreAddress, frame.Station, frame.Password));
                Assert.True(Sl651MessageFormatter.TryReadUp(frame, out var decoded, out var reason), reason);
                Assert.Equal(Convert.ToHexString(Sl651MessageFormatter.WriteBody(sample.message)), Convert.ToHexString(Sl651MessageFormatter.WriteBody(decoded!)));
            });

    [Fact]
    public void Report_ReadByTheReferencePlatform_HasTheValuesWeEncoded() =>
        PropertyCheck.ForAll(
            from message in Sl651Gen.Up
            from header in Sl651Gen.Header
            select (message, header),
            sample =>
            {
                var bytes = Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(sample.message, sample.header));
                Assert.Equal(PlatformDecoder.Outcome.Frame, PlatformDecoder.Read(bytes, out var frame, out var used, out _));
                Assert.Equal(bytes.Length, used);
                Assert.True(frame!.Up);
                Assert.Equal(sample.header.Station.ToString(), frame.Station);
                Assert.Equal(sample.message.Serial, frame.Serial);
                Assert.Equal(sample.message.SendTime, frame.SendTime);
                if (sample.message is Sl651ObservationReport report)
                {
                    Assert.Equal(report.ObservationTime, frame.ObservationTime);
                    Assert.Equal(report.Elements.Count, frame.Elements.Count);
                    foreach (var (ours, theirs) in report.Elements.Zip(frame.Elements))
                    {
                        Assert.Equal(ours.Identifier.Leader, theirs.Leader);
                        if (ours.TryGetNumber(out var value))
                            Assert.Equal(value, theirs.Value);
                    }
                }
                else if (sample.message is Sl651PumpStateReport pumps)
                {
                    Assert.Equal(Convert.ToHexString(pumps.Pumps.Bits.Span), Convert.ToHexString(frame.PumpBits!));
                }
            });

    [Fact]
    public void RandomBytes_NeverThrowAndAlwaysProgress() =>
        PropertyCheck.ForAll(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).Resize(300),
            bytes =>
            {
                var input = new ReadOnlySequence<byte>(bytes);
                while (!input.IsEmpty)
                {
                    var status = Sl651FrameFormatter.TryRead(input, out _, out var consumed, out _);
                    if (status == Sl651ReadStatus.Incomplete)
                        break;
                    Assert.True(input.Slice(0, consumed).Length > 0);
                    input = input.Slice(consumed);
                }

                var rest = bytes.AsSpan();
                while (PlatformDecoder.Read(rest, out _, out var used, out _) != PlatformDecoder.Outcome.NeedMore)
                {
                    Assert.True(used > 0);
                    rest = rest[used..];
                }
            });

    [Fact]
    public void DamagedFrame_OneByteFlipped_IsNeverReadAsAFrame() =>
        PropertyCheck.ForAll(
            from message in Sl651Gen.Up
            from header in Sl651Gen.Header
            from at in Gen.Choose(0, 10_000)
            from flip in Gen.Choose(1, 255)
            select (message, header, at, flip),
            sample =>
            {
                var bytes = Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(sample.message, sample.header));
                var i = sample.at % bytes.Length;
                bytes[i] ^= (byte)sample.flip;
                var frames = FrameReading.ReadAll(bytes, out _);
                Assert.Empty(frames);
            });
}
