using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Irrigation.Sl651.Values;

namespace Irrigation.Sl651.Tests;

public sealed class Sl651FrameFormatterTests
{
    // The vendor note's timed report (PublishedVectorTests.VendorNote).
    private const string Timed = "7E 7E 02 00 12 34 56 78 04 D2 32 00 2B 02 00 12 14 12 05 11 00 02 F1 F1 00 12 34 56 78 48 F0 F0 14 12 05 11 00 20 19 00 01 00 26 19 00 01 00 39 23 00 01 44 20 38 12 12 20 03 9F E1";

    [Fact]
    public void TryRead_EveryTruncation_IsIncompleteAndConsumesNothing()
    {
        var bytes = Hex.Parse(Timed);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Equal(Sl651ReadStatus.Incomplete, Sl651FrameFormatter.TryRead(bytes.AsSpan(0, length), out var frame, out var consumed, out _));
            Assert.Null(frame);
            Assert.Equal(0, consumed);
        }
    }

    [Fact]
    public void TryRead_OneBytePerSegment_ReadsTheFrame()
    {
        var frame = Assert.Single(FrameReading.ReadAll(Sequences.OneBytePerSegment(Hex.Parse(Timed)), out var errors));
        Assert.Empty(errors);
        Assert.Equal(Sl651FunctionCode.Timed, frame.FunctionCode);
    }

    [Fact]
    public void TryRead_WrongCrc_DropsExactlyThatFrameAndReadsTheNext()
    {
        var bad = Hex.Parse(Timed);
        bad[^1] ^= 0x01;
        var frames = FrameReading.ReadAll([.. bad, .. Hex.Parse(Timed)], out var errors);
        Assert.Equal(Sl651FrameErrorKind.CrcMismatch, Assert.Single(errors).Kind);
        Assert.Single(frames);
    }

    [Fact]
    public void TryRead_GarbageBeforeAFrame_IsSkippedAsGarbage()
    {
        var frames = FrameReading.ReadAll([.. Hex.Parse("00 41 54 0D 0A 7E 13"), .. Hex.Parse(Timed)], out var errors);
        Assert.Single(frames);
        Assert.All(errors, e => Assert.Equal(Sl651FrameErrorKind.Garbage, e.Kind));
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void TryRead_LengthThatLies_IsResynchronisedNotTrusted()
    {
        // Length 002BH raised to 002CH: the byte where the end character should be is the CRC's first byte (9FH).
        var lying = Hex.Parse(Timed);
        lying[12] = 0x2C;
        var frames = FrameReading.ReadAll([.. lying, 0x00, .. Hex.Parse(Timed)], out var errors);
        Assert.Equal(Sl651FrameErrorKind.BadEndChar, errors[0].Kind);
        Assert.Single(frames);
    }

    [Fact]
    public void TryRead_LengthBeyondTheBuffer_WaitsWithoutReadingPastIt()
    {
        var bytes = Hex.Parse(Timed);
        bytes[11] = 0x0F;
        bytes[12] = 0xFF; // 4095 bytes promised, 60 present
        Assert.Equal(Sl651ReadStatus.Incomplete, Sl651FrameFormatter.TryRead(bytes, out _, out var consumed, out _));
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData(0x40, Sl651FrameErrorKind.BadDirection)]
    [InlineData(0xF0, Sl651FrameErrorKind.BadDirection)]
    public void TryRead_BadDirectionNibble_IsMalformed(byte flag, Sl651FrameErrorKind kind)
    {
        var bytes = Hex.Parse(Timed);
        bytes[11] = flag;
        Assert.Equal(Sl651ReadStatus.Malformed, Sl651FrameFormatter.TryRead(bytes, out _, out var consumed, out var error));
        Assert.Equal(kind, error.Kind);
        Assert.Equal(1, consumed); // up to the second 7EH, then resynchronised
    }

    [Fact]
    public void TryRead_BadStartCharacter_IsMalformed()
    {
        var bytes = Hex.Parse(Timed);
        bytes[13] = 0x03;
        Assert.Equal(Sl651ReadStatus.Malformed, Sl651FrameFormatter.TryRead(bytes, out _, out _, out var error));
        Assert.Equal(Sl651FrameErrorKind.BadStartChar, error.Kind);
    }

    [Fact]
    public void TryReadUp_BodyCutShort_ReturnsFalseWithAReason()
    {
        var frame = new Sl651Frame(Sl651Direction.Up, 1, Sl651StationAddress.Parse("0012345678"), 0, 0x32, Hex.Parse("00 12 14 12 05 11 00 02 F1 F1 00 12"), Sl651ControlChar.Etx);
        Assert.False(Sl651MessageFormatter.TryReadUp(frame, out var message, out var reason));
        Assert.Null(message);
        Assert.Contains("station address", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadUp_ElementLongerThanTheBody_ReturnsFalse()
    {
        var body = Hex.Parse("00 12 14 12 05 11 00 02 F1 F1 00 12 34 56 78 48 F0 F0 14 12 05 11 00 39 23 00 01");
        var frame = new Sl651Frame(Sl651Direction.Up, 1, Sl651StationAddress.Parse("0012345678"), 0, 0x32, body, Sl651ControlChar.Etx);
        Assert.False(Sl651MessageFormatter.TryReadUp(frame, out _, out var reason));
        Assert.Contains("3923", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadDown_BadSendTime_ReturnsFalse()
    {
        var frame = new Sl651Frame(Sl651Direction.Down, 1, Sl651StationAddress.Parse("0012345678"), 0, 0x32, Hex.Parse("00 12 14 13 05 11 00 02"), Sl651ControlChar.Eot);
        Assert.False(Sl651MessageFormatter.TryReadDown(frame, out _, out var reason));
        Assert.Contains("send time", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_PumpSwitchCommand_FollowsTable72()
    {
        // Table 72 (no published frame found): serial 0 (centre-initiated), time, byte count 01, pump 1 and 3 on (00000101).
        var command = new Sl651PumpSwitchCommand(0, new DateTime(2026, 12, 4, 21, 0, 5), Sl651PumpStates.Of(3, n => n != 2));
        var frame = Sl651MessageFormatter.ToFrame(command, new Sl651Header(1, Sl651StationAddress.Parse("0012345678"), 0x1234));
        var bytes = Sl651FrameFormatter.ToArray(frame);
        Assert.Equal("7E 7E 00 12 34 56 78 01 12 34 4C 80 0A 02 00 00 26 12 04 21 00 05 01 05 05", Hex.Format(bytes.AsSpan(0, bytes.Length - 2)));
        Assert.Equal(Sl651Crc.Compute(bytes.AsSpan(0, bytes.Length - 2)), (bytes[^2] << 8) | bytes[^1]);
        Assert.True(Sl651MessageFormatter.TryReadDown(Sl651FrameFormatter.TryRead(bytes, out var read, out _, out _) == Sl651ReadStatus.Complete ? read! : frame, out var decoded, out var reason), reason);
        Assert.Equal(command, decoded);
    }
}
