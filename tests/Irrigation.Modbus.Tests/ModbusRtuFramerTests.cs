using System.Buffers;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

/// <summary>RTU framing over a byte stream (Modbus over Serial Line V1.02 §2.5.1): length from the function code.</summary>
public sealed class ModbusRtuFramerTests
{
    private static readonly ModbusRtuFramer Framer = ModbusRtuFramer.Instance;

    private static ModbusFrameStatus Read(in ReadOnlySequence<byte> input, ModbusFrameDirection direction, out ModbusFrame frame, out long remaining, out ModbusFrameError error)
    {
        var status = Framer.TryReadFrame(input, direction, out frame, out var consumed, out error);
        remaining = input.Slice(consumed).Length;
        return status;
    }

    private static ModbusFrameStatus Read(byte[] input, ModbusFrameDirection direction, out ModbusFrame frame, out long remaining, out ModbusFrameError error) =>
        Read(new ReadOnlySequence<byte>(input), direction, out frame, out remaining, out error);

    public static TheoryData<string, ModbusFrameDirection, string> WholeFrames => new()
    {
        { "01 03 00 00 00 01 84 0A", ModbusFrameDirection.Request, "03 00 00 00 01" },
        { ToHex(ReferenceCrc.Rtu("11 01 00 13 00 13")), ModbusFrameDirection.Request, "01 00 13 00 13" },
        { ToHex(ReferenceCrc.Rtu("11 05 00 AC FF 00")), ModbusFrameDirection.Request, "05 00 AC FF 00" },
        { ToHex(ReferenceCrc.Rtu("11 0F 00 13 00 0A 02 CD 01")), ModbusFrameDirection.Request, "0F 00 13 00 0A 02 CD 01" },
        { ToHex(ReferenceCrc.Rtu("11 10 00 01 00 02 04 00 0A 01 02")), ModbusFrameDirection.Request, "10 00 01 00 02 04 00 0A 01 02" },
        { ToHex(ReferenceCrc.Rtu("11 01 03 CD 6B 05")), ModbusFrameDirection.Response, "01 03 CD 6B 05" },
        { ToHex(ReferenceCrc.Rtu("11 03 06 02 2B 00 00 00 64")), ModbusFrameDirection.Response, "03 06 02 2B 00 00 00 64" },
        { ToHex(ReferenceCrc.Rtu("11 06 00 01 00 03")), ModbusFrameDirection.Response, "06 00 01 00 03" },
        { ToHex(ReferenceCrc.Rtu("11 10 00 01 00 02")), ModbusFrameDirection.Response, "10 00 01 00 02" },
        { ToHex(ReferenceCrc.Rtu("11 83 02")), ModbusFrameDirection.Response, "83 02" },
    };

    private static string ToHex(byte[] bytes) => Hex.Format(bytes);

    [Fact]
    public void WriteFrame_ReadOneHoldingRegister_AppendsCrcLowByteFirst()
    {
        var destination = new byte[Framer.MaxFrameLength];
        var length = Framer.WriteFrame(destination, 0x7777, 0x01, Hex.Parse("03 00 00 00 01"));
        Assert.Equal("01 03 00 00 00 01 84 0A", Hex.Format(destination.AsSpan(0, length)));
    }

    [Fact]
    public void WriteFrame_ReadTenHoldingRegisters_AppendsCrcLowByteFirst()
    {
        var destination = new byte[Framer.MaxFrameLength];
        var length = Framer.WriteFrame(destination, 0, 0x01, Hex.Parse("03 00 00 00 0A"));
        Assert.Equal("01 03 00 00 00 0A C5 CD", Hex.Format(destination.AsSpan(0, length)));
    }

    [Fact]
    public void WriteFrame_ExceptionResponse_IsFiveBytes()
    {
        var destination = new byte[Framer.MaxFrameLength];
        var length = Framer.WriteFrame(destination, 0, 0x11, Hex.Parse("83 02"));
        Assert.Equal(Hex.Format(ReferenceCrc.Rtu("11 83 02")), Hex.Format(destination.AsSpan(0, length)));
    }

    [Fact]
    public void Properties_DescribeRtu()
    {
        Assert.Equal("rtu", Framer.Name);
        Assert.Equal(256, Framer.MaxFrameLength);
        Assert.False(Framer.HasTransactionIds);
    }

    [Theory]
    [MemberData(nameof(WholeFrames))]
    public void TryReadFrame_WholeFrame_ReturnsUnitAndPdu(string hex, ModbusFrameDirection direction, string pdu)
    {
        var bytes = Hex.Parse(hex);
        Assert.Equal(ModbusFrameStatus.Complete, Read(bytes, direction, out var frame, out var remaining, out var error));
        Assert.Equal(ModbusFrameError.None, error);
        Assert.Equal(bytes[0], frame.UnitId);
        Assert.Equal(0, frame.TransactionId);
        Assert.Equal(pdu, Hex.Format(frame.Pdu.ToArray()));
        Assert.Equal(0, remaining);
    }

    [Theory]
    [MemberData(nameof(WholeFrames))]
    public void TryReadFrame_EveryTwoSegmentSplit_ReturnsTheSameFrame(string hex, ModbusFrameDirection direction, string pdu)
    {
        var bytes = Hex.Parse(hex);
        for (var at = 0; at <= bytes.Length; at++)
        {
            Assert.Equal(ModbusFrameStatus.Complete, Read(Sequences.SplitAt(bytes, at), direction, out var frame, out var remaining, out _));
            Assert.Equal(pdu, Hex.Format(frame.Pdu.ToArray()));
            Assert.Equal(0, remaining);
        }

        Assert.Equal(ModbusFrameStatus.Complete, Read(Sequences.OneBytePerSegment(bytes), direction, out var split, out _, out _));
        Assert.Equal(pdu, Hex.Format(split.Pdu.ToArray()));
    }

    [Theory]
    [MemberData(nameof(WholeFrames))]
    public void TryReadFrame_OneByteAtATime_IncompleteUntilWhole(string hex, ModbusFrameDirection direction, string pdu)
    {
        var bytes = Hex.Parse(hex);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Equal(ModbusFrameStatus.Incomplete, Read(bytes[..length], direction, out _, out var remaining, out var error));
            Assert.Equal(length, remaining);
            Assert.Equal(ModbusFrameError.None, error);
        }

        Assert.Equal(ModbusFrameStatus.Complete, Read(bytes, direction, out var frame, out _, out _));
        Assert.Equal(pdu, Hex.Format(frame.Pdu.ToArray()));
    }

    [Theory]
    [MemberData(nameof(WholeFrames))]
    public void TryReadFrame_TwoFramesBackToBack_ReadsOneThenTheOther(string hex, ModbusFrameDirection direction, string pdu)
    {
        var bytes = Hex.Parse(hex);
        var input = Sequences.Of(bytes, bytes[..3], bytes[3..]);
        Assert.Equal(ModbusFrameStatus.Complete, Framer.TryReadFrame(input, direction, out var first, out var consumed, out _));
        Assert.Equal(pdu, Hex.Format(first.Pdu.ToArray()));

        var rest = input.Slice(consumed);
        Assert.Equal(bytes.Length, rest.Length);
        Assert.Equal(ModbusFrameStatus.Complete, Read(rest, direction, out var second, out var remaining, out _));
        Assert.Equal(pdu, Hex.Format(second.Pdu.ToArray()));
        Assert.Equal(0, remaining);
    }

    [Fact]
    public void TryReadFrame_WriteMultipleRegistersRequest_LengthComesFromByteCount()
    {
        // 01 10 0000 0003 06 ... : 9 + 6 = 15 bytes; the byte count field (offset 6) says how much data follows.
        var bytes = ReferenceCrc.Rtu("01 10 00 00 00 03 06 00 01 00 02 00 03");
        Assert.Equal(15, bytes.Length);
        var withNext = bytes.Concat(Hex.Parse("01 03")).ToArray();
        Assert.Equal(ModbusFrameStatus.Complete, Read(withNext, ModbusFrameDirection.Request, out var frame, out var remaining, out _));
        Assert.Equal("10 00 00 00 03 06 00 01 00 02 00 03", Hex.Format(frame.Pdu.ToArray()));
        Assert.Equal(2, remaining);
    }

    [Fact]
    public void TryReadFrame_ExceptionResponseThenMore_ConsumesFiveBytes()
    {
        var bytes = ReferenceCrc.Rtu("01 83 02").Concat(ReferenceCrc.Rtu("01 03 02 00 0A")).ToArray();
        Assert.Equal(ModbusFrameStatus.Complete, Read(bytes, ModbusFrameDirection.Response, out var frame, out var remaining, out _));
        Assert.Equal("83 02", Hex.Format(frame.Pdu.ToArray()));
        Assert.Equal(7, remaining);
    }

    [Fact]
    public void TryReadFrame_BadCrc_MalformedAndDiscardsEverything()
    {
        var bytes = Hex.Parse("01 03 00 00 00 01 84 0B 01 03");
        Assert.Equal(ModbusFrameStatus.Malformed, Read(bytes, ModbusFrameDirection.Request, out _, out var remaining, out var error));
        Assert.Equal(new ModbusFrameError(ModbusFrameErrorKind.CrcMismatch, "CRC mismatch"), error);
        Assert.Equal(0, remaining);
    }

    [Fact]
    public void TryReadFrame_BadCrcInResponse_Malformed()
    {
        var bytes = ReferenceCrc.Rtu("01 03 02 00 0A");
        bytes[^1] ^= 0xFF;
        Assert.Equal(ModbusFrameStatus.Malformed, Read(bytes, ModbusFrameDirection.Response, out _, out _, out var error));
        Assert.Equal(new ModbusFrameError(ModbusFrameErrorKind.CrcMismatch, "CRC mismatch"), error);
    }

    [Fact]
    public void TryReadFrame_UnknownFunctionWithValidCrc_CompleteOnceCrcFits()
    {
        // 0x2B/0x0E Read Device Identification is not one of the eight functions: no length rule, only the CRC.
        var bytes = ReferenceCrc.Rtu("01 2B 0E 01 00");
        for (var length = 0; length < bytes.Length; length++)
            Assert.Equal(ModbusFrameStatus.Incomplete, Read(bytes[..length], ModbusFrameDirection.Request, out _, out _, out _));
        Assert.Equal(ModbusFrameStatus.Complete, Read(bytes, ModbusFrameDirection.Request, out var frame, out _, out _));
        Assert.Equal("2B 0E 01 00", Hex.Format(frame.Pdu.ToArray()));
    }

    [Fact]
    public void TryReadFrame_UnknownFunctionNeverValid_MalformedAtMaxFrameLength()
    {
        var bytes = new byte[Framer.MaxFrameLength];
        bytes[0] = 0x01;
        bytes[1] = 0x2B;
        Assert.Equal(ModbusFrameStatus.Incomplete, Read(bytes[..^1], ModbusFrameDirection.Request, out _, out _, out _));
        Assert.Equal(ModbusFrameStatus.Malformed, Read(bytes, ModbusFrameDirection.Request, out _, out var remaining, out var error));
        Assert.Equal(0, remaining);
        Assert.Equal(ModbusFrameErrorKind.UnknownFunctionCode, error.Kind);
        Assert.Contains("0x2B", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadFrame_RequestFunctionInResponseDirection_UsesResponseLayout()
    {
        // A response to 0x10 is 8 bytes, not 9 + byte count.
        var bytes = ReferenceCrc.Rtu("01 10 00 01 00 02");
        Assert.Equal(ModbusFrameStatus.Complete, Read(bytes, ModbusFrameDirection.Response, out var frame, out _, out _));
        Assert.Equal("10 00 01 00 02", Hex.Format(frame.Pdu.ToArray()));
    }

    [Fact]
    public void TryReadFrame_ByteCountBeyondMaxFrame_Malformed()
    {
        // A write of 0xFF data bytes would be 264 bytes, above the 256-byte RTU maximum.
        var request = Hex.Parse("01 10 00 00 00 7F FF");
        Assert.Equal(ModbusFrameStatus.Malformed, Read(request, ModbusFrameDirection.Request, out _, out var remaining, out var error));
        Assert.Equal(0, remaining);
        Assert.Equal(ModbusFrameErrorKind.FrameTooLong, error.Kind);
        Assert.Contains("exceeds", error.Detail, StringComparison.Ordinal);

        var response = Hex.Parse("01 03 FF 00");
        Assert.Equal(ModbusFrameStatus.Malformed, Read(response, ModbusFrameDirection.Response, out _, out _, out _));
    }

    [Fact]
    public void TryReadFrame_ExceptionFlagInRequestDirection_TreatedAsUnknownFunction()
    {
        var bytes = ReferenceCrc.Rtu("01 83 02");
        Assert.Equal(ModbusFrameStatus.Complete, Read(bytes, ModbusFrameDirection.Request, out var frame, out _, out _));
        Assert.Equal("83 02", Hex.Format(frame.Pdu.ToArray()));
    }
}
