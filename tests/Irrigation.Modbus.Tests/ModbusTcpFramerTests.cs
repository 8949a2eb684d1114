using System.Buffers;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

/// <summary>MBAP framing (Modbus Messaging on TCP/IP Implementation Guide V1.0b §3.1.3).</summary>
public sealed class ModbusTcpFramerTests
{
    private static readonly ModbusTcpFramer Framer = ModbusTcpFramer.Instance;

    // Transaction 0x0001, unit 0x11, Read Holding Registers 108–110 (spec §6.3 PDU).
    private static readonly byte[] ReadHoldingFrame = Hex.Parse("00 01 00 00 00 06 11 03 00 6B 00 03");

    // Transaction 0x1234, unit 0x11, the §6.3 response.
    private static readonly byte[] ReadHoldingResponseFrame = Hex.Parse("12 34 00 00 00 09 11 03 06 02 2B 00 00 00 64");

    private static ModbusFrameStatus Read(in ReadOnlySequence<byte> input, out ModbusFrame frame, out long remaining, out ModbusFrameError error)
    {
        var status = Framer.TryReadFrame(input, ModbusFrameDirection.Request, out frame, out var consumed, out error);
        remaining = input.Slice(consumed).Length;
        return status;
    }

    [Fact]
    public void WriteFrame_ReadHoldingRegisters_WritesMbapHeaderThenPdu()
    {
        var destination = new byte[Framer.MaxFrameLength];
        var length = Framer.WriteFrame(destination, 0x0001, 0x11, Hex.Parse("03 00 6B 00 03"));
        Assert.Equal("00 01 00 00 00 06 11 03 00 6B 00 03", Hex.Format(destination.AsSpan(0, length)));
    }

    [Fact]
    public void WriteFrame_HighTransactionIdAndUnit_WritesBigEndian()
    {
        var destination = new byte[Framer.MaxFrameLength];
        var length = Framer.WriteFrame(destination, 0xBEEF, 0xFF, Hex.Parse("83 02"));
        Assert.Equal("BE EF 00 00 00 03 FF 83 02", Hex.Format(destination.AsSpan(0, length)));
    }

    [Fact]
    public void Properties_DescribeMbap()
    {
        Assert.Equal("tcp", Framer.Name);
        Assert.Equal(260, Framer.MaxFrameLength);
        Assert.True(Framer.HasTransactionIds);
    }

    [Fact]
    public void TryReadFrame_WholeFrame_ReturnsHeaderFieldsAndPdu()
    {
        Assert.Equal(ModbusFrameStatus.Complete, Read(new ReadOnlySequence<byte>(ReadHoldingFrame), out var frame, out var remaining, out var error));
        Assert.Equal(ModbusFrameError.None, error);
        Assert.Equal(0x0001, frame.TransactionId);
        Assert.Equal(0x11, frame.UnitId);
        Assert.Equal("03 00 6B 00 03", Hex.Format(frame.Pdu.ToArray()));
        Assert.Equal(0, remaining);
    }

    [Fact]
    public void TryReadFrame_ResponseDirection_ReadsTheSameWay()
    {
        var status = Framer.TryReadFrame(new ReadOnlySequence<byte>(ReadHoldingResponseFrame), ModbusFrameDirection.Response, out var frame, out _, out _);
        Assert.Equal(ModbusFrameStatus.Complete, status);
        Assert.Equal(0x1234, frame.TransactionId);
        Assert.Equal("03 06 02 2B 00 00 00 64", Hex.Format(frame.Pdu.ToArray()));
    }

    [Fact]
    public void TryReadFrame_EveryTwoSegmentSplit_ReturnsTheSameFrame()
    {
        for (var at = 0; at <= ReadHoldingResponseFrame.Length; at++)
        {
            var status = Read(Sequences.SplitAt(ReadHoldingResponseFrame, at), out var frame, out var remaining, out _);
            Assert.Equal(ModbusFrameStatus.Complete, status);
            Assert.Equal(0x1234, frame.TransactionId);
            Assert.Equal(0x11, frame.UnitId);
            Assert.Equal("03 06 02 2B 00 00 00 64", Hex.Format(frame.Pdu.ToArray()));
            Assert.Equal(0, remaining);
        }
    }

    [Fact]
    public void TryReadFrame_OneByteSegments_ReturnsTheSameFrame()
    {
        Assert.Equal(ModbusFrameStatus.Complete, Read(Sequences.OneBytePerSegment(ReadHoldingResponseFrame), out var frame, out var remaining, out _));
        Assert.Equal("03 06 02 2B 00 00 00 64", Hex.Format(frame.Pdu.ToArray()));
        Assert.Equal(0, remaining);
    }

    [Fact]
    public void TryReadFrame_OneByteAtATime_IncompleteUntilWholeAndConsumesNothing()
    {
        for (var length = 0; length < ReadHoldingResponseFrame.Length; length++)
        {
            var prefix = ReadHoldingResponseFrame[..length];
            Assert.Equal(ModbusFrameStatus.Incomplete, Read(new ReadOnlySequence<byte>(prefix), out _, out var remaining, out var error));
            Assert.Equal(length, remaining);
            Assert.Equal(ModbusFrameError.None, error);
            Assert.Equal(ModbusFrameStatus.Incomplete, Read(Sequences.OneBytePerSegment(prefix), out _, out _, out _));
        }

        Assert.Equal(ModbusFrameStatus.Complete, Read(new ReadOnlySequence<byte>(ReadHoldingResponseFrame), out _, out _, out _));
    }

    [Fact]
    public void TryReadFrame_TwoFramesBackToBack_ReadsOneThenTheOther()
    {
        var input = Sequences.Of(ReadHoldingFrame, ReadHoldingResponseFrame);
        Assert.Equal(ModbusFrameStatus.Complete, Framer.TryReadFrame(input, ModbusFrameDirection.Request, out var first, out var consumed, out _));
        Assert.Equal(0x0001, first.TransactionId);
        Assert.Equal("03 00 6B 00 03", Hex.Format(first.Pdu.ToArray()));

        var rest = input.Slice(consumed);
        Assert.Equal(ReadHoldingResponseFrame.Length, rest.Length);
        Assert.Equal(ModbusFrameStatus.Complete, Read(rest, out var second, out var remaining, out _));
        Assert.Equal(0x1234, second.TransactionId);
        Assert.Equal("03 06 02 2B 00 00 00 64", Hex.Format(second.Pdu.ToArray()));
        Assert.Equal(0, remaining);
    }

    [Fact]
    public void TryReadFrame_FrameThenPartialFrame_ConsumesOnlyTheFirst()
    {
        var bytes = ReadHoldingFrame.Concat(ReadHoldingResponseFrame[..9]).ToArray();
        Assert.Equal(ModbusFrameStatus.Complete, Read(new ReadOnlySequence<byte>(bytes), out _, out var remaining, out _));
        Assert.Equal(9, remaining);
    }

    [Theory]
    [InlineData("00 01 00 01 00 06 11 03 00 6B 00 03")]
    [InlineData("00 01 FF FF 00 06 11 03 00 6B 00 03")]
    [InlineData("00 01 12 34 00 06 11")] // header alone is enough to reject
    public void TryReadFrame_ProtocolIdNotZero_MalformedAndDiscardsEverything(string hex)
    {
        var status = Read(new ReadOnlySequence<byte>(Hex.Parse(hex)), out _, out var remaining, out var error);
        Assert.Equal(ModbusFrameStatus.Malformed, status);
        Assert.Equal(0, remaining);
        Assert.Equal(ModbusFrameErrorKind.ProtocolId, error.Kind);
        Assert.Contains("protocol id", error.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(0xFFFF)]
    public void TryReadFrame_LengthOutsideTwoTo254_Malformed(int length)
    {
        var bytes = Hex.Parse("00 01 00 00 00 00 11 03 00 6B 00 03");
        bytes[4] = (byte)(length >> 8);
        bytes[5] = (byte)length;
        var status = Read(new ReadOnlySequence<byte>(bytes), out _, out var remaining, out var error);
        Assert.Equal(ModbusFrameStatus.Malformed, status);
        Assert.Equal(0, remaining);
        Assert.Equal(ModbusFrameErrorKind.Length, error.Kind);
        Assert.Contains("length", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadFrame_LargestLength254_CompleteAt260Bytes()
    {
        var bytes = new byte[260];
        bytes[5] = 254;
        bytes[6] = 0x11;
        bytes[7] = 0x03;
        Assert.Equal(ModbusFrameStatus.Incomplete, Read(new ReadOnlySequence<byte>(bytes, 0, 259), out _, out _, out _));
        Assert.Equal(ModbusFrameStatus.Complete, Read(new ReadOnlySequence<byte>(bytes), out var frame, out _, out _));
        Assert.Equal(253, frame.Pdu.Length);
    }

    [Fact]
    public void TryReadFrame_LengthTwo_PduOfOneByte()
    {
        Assert.Equal(ModbusFrameStatus.Complete, Read(new ReadOnlySequence<byte>(Hex.Parse("00 07 00 00 00 02 01 2B")), out var frame, out _, out _));
        Assert.Equal("2B", Hex.Format(frame.Pdu.ToArray()));
    }
}
