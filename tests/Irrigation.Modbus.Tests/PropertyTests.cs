using System.Buffers;
using FsCheck.Fluent;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

/// <summary>
/// Property-based checks: every request and response survives formatter and framer round trips, and no input,
/// however random, makes a reader throw or stall.
/// </summary>
public sealed class PropertyTests
{
    private static readonly IModbusFramer[] Framers = [ModbusTcpFramer.Instance, ModbusRtuFramer.Instance];

    [Fact]
    public void WriteRequest_ThenTryReadRequest_GivesTheSameRequest() =>
        PropertyCheck.ForAll(ModbusGen.Request, request =>
        {
            Assert.Equal(RequestDecodeStatus.Ok, ModbusPduFormatter.TryReadRequest(ModbusGen.Encode(request), out var decoded));
            AssertSameRequest(request, Assert.IsAssignableFrom<ModbusRequest>(decoded));
        });

    [Fact]
    public void WriteResponse_ThenTryReadResponse_GivesTheSameResponse() =>
        PropertyCheck.ForAll(ModbusGen.Response, response =>
        {
            Assert.True(ModbusPduFormatter.TryReadResponse(ModbusGen.Encode(response), out var decoded, out var error), error);
            AssertSameResponse(response, Assert.IsAssignableFrom<ModbusResponse>(decoded));
        });

    [Fact]
    public void WriteFrame_ThenTryReadFrame_RequestsKeepUnitTransactionAndPdu() =>
        PropertyCheck.ForAll(
            from request in ModbusGen.Request
            from transactionId in ModbusGen.Word
            from unitId in ModbusGen.Byte
            from cut in Gen.Choose(0, 1000)
            select (Pdu: ModbusGen.Encode(request), transactionId, unitId, cut),
            sample =>
            {
                foreach (var framer in Framers)
                    AssertFrameRoundTrip(framer, ModbusFrameDirection.Request, sample.Pdu, sample.transactionId, sample.unitId, sample.cut);
            });

    [Fact]
    public void WriteFrame_ThenTryReadFrame_ResponsesKeepUnitTransactionAndPdu() =>
        PropertyCheck.ForAll(
            from response in ModbusGen.Response
            from transactionId in ModbusGen.Word
            from unitId in ModbusGen.Byte
            from cut in Gen.Choose(0, 1000)
            select (Pdu: ModbusGen.Encode(response), transactionId, unitId, cut),
            sample =>
            {
                foreach (var framer in Framers)
                    AssertFrameRoundTrip(framer, ModbusFrameDirection.Response, sample.Pdu, sample.transactionId, sample.unitId, sample.cut);
            });

    [Fact]
    public void TryReadFrame_RandomBytes_NeverThrowsAndAlwaysProgresses() =>
        PropertyCheck.ForAll(
            from bytes in ModbusGen.FrameLikeBytes
            from cuts in Gen.ListOf(Gen.Choose(0, 600), 3)
            select (bytes, cuts),
            sample =>
            {
                var input = Sequences.SplitAt(sample.bytes, sample.cuts.Select(c => Math.Min(c, sample.bytes.Length)));
                foreach (var framer in Framers)
                {
                    foreach (var direction in new[] { ModbusFrameDirection.Request, ModbusFrameDirection.Response })
                        DrainLikeAReceiveLoop(framer, direction, input);
                }
            },
            maxTest: 1000);

    [Fact]
    public void TryReadRequest_RandomBytes_NeverThrows() =>
        PropertyCheck.ForAll(ModbusGen.PduLikeBytes, pdu =>
        {
            var status = ModbusPduFormatter.TryReadRequest(pdu, out var request);
            Assert.Equal(status == RequestDecodeStatus.Ok, request is not null);
            Assert.Equal(RequestDecodeStatus.IllegalFunction, ModbusPduFormatter.TryReadRequest([0x07, .. pdu], out _));
        },
        maxTest: 2000);

    [Fact]
    public void TryReadResponse_RandomBytes_NeverThrowsAndGivesAReasonOnFailure() =>
        PropertyCheck.ForAll(ModbusGen.PduLikeBytes, pdu =>
        {
            var ok = ModbusPduFormatter.TryReadResponse(pdu, out var response, out var error);
            Assert.Equal(ok, response is not null);
            Assert.Equal(ok, error is null);
        },
        maxTest: 2000);

    [Fact]
    public void PropertyCheck_FalseProperty_Throws() =>
        Assert.ThrowsAny<Exception>(() => PropertyCheck.ForAll(Gen.Choose(0, 100), i => Assert.True(i < 50)));

    private static void AssertFrameRoundTrip(IModbusFramer framer, ModbusFrameDirection direction, byte[] pdu, ushort transactionId, byte unitId, int cut)
    {
        var buffer = new byte[framer.MaxFrameLength];
        var length = framer.WriteFrame(buffer, transactionId, unitId, pdu);
        var bytes = buffer[..length];
        var input = Sequences.SplitAt(bytes, cut % (length + 1));

        var status = framer.TryReadFrame(input, direction, out var frame, out var consumed, out var error);

        Assert.True(status == ModbusFrameStatus.Complete, $"{framer.Name}: {status} {error}");
        Assert.Equal(unitId, frame.UnitId);
        Assert.Equal(framer.HasTransactionIds ? transactionId : 0, frame.TransactionId);
        Assert.Equal(pdu, frame.Pdu.ToArray());
        Assert.Equal(0, input.Slice(consumed).Length);
    }

    private static void DrainLikeAReceiveLoop(IModbusFramer framer, ModbusFrameDirection direction, ReadOnlySequence<byte> input)
    {
        while (!input.IsEmpty)
        {
            var status = framer.TryReadFrame(input, direction, out var frame, out var consumed, out var error);
            var rest = input.Slice(consumed);
            switch (status)
            {
                case ModbusFrameStatus.Incomplete:
                    Assert.Equal(input.Length, rest.Length);
                    return;
                case ModbusFrameStatus.Complete:
                    Assert.True(rest.Length < input.Length, "a complete frame consumes bytes");
                    Assert.True(frame.Pdu.Length <= ModbusLimits.MaxPduLength);
                    _ = ModbusPduFormatter.TryReadResponse(frame.Pdu.ToArray(), out _, out _);
                    _ = ModbusPduFormatter.TryReadRequest(frame.Pdu.ToArray(), out _);
                    break;
                default:
                    Assert.NotEqual(ModbusFrameErrorKind.None, error.Kind);
                    Assert.False(string.IsNullOrEmpty(error.Detail));
                    Assert.True(rest.Length < input.Length, "a malformed frame discards bytes");
                    break;
            }

            input = rest;
        }
    }

    internal static void AssertSameRequest(ModbusRequest expected, ModbusRequest actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Function, actual.Function);
        switch (expected)
        {
            case WriteMultipleCoilsRequest coils:
                var actualCoils = (WriteMultipleCoilsRequest)actual;
                Assert.Equal(coils.StartAddress, actualCoils.StartAddress);
                Assert.True(coils.Values.SequenceEqual(actualCoils.Values));
                break;
            case WriteMultipleRegistersRequest registers:
                var actualRegisters = (WriteMultipleRegistersRequest)actual;
                Assert.Equal(registers.StartAddress, actualRegisters.StartAddress);
                Assert.True(registers.Values.SequenceEqual(actualRegisters.Values));
                break;
            default:
                // The other requests hold only scalars, so record equality compares every field.
                Assert.Equal(expected, actual);
                break;
        }
    }

    internal static void AssertSameResponse(ModbusResponse expected, ModbusResponse actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Function, actual.Function);
        switch (expected)
        {
            case ReadBitsResponse bits:
                var decoded = ((ReadBitsResponse)actual).Bits;
                Assert.Equal((bits.Bits.Length + 7) / 8 * 8, decoded.Length);
                Assert.True(bits.Bits.AsSpan().SequenceEqual(decoded.AsSpan(0, bits.Bits.Length)));
                Assert.False(decoded.AsSpan(bits.Bits.Length).Contains(true), "padding bits are false");
                break;
            case ReadRegistersResponse registers:
                Assert.True(registers.Registers.SequenceEqual(((ReadRegistersResponse)actual).Registers));
                break;
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }
}
