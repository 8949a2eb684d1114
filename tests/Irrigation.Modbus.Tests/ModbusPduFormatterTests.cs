using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

/// <summary>
/// Bytes &lt;-&gt; PDUs, checked against the worked examples of the Modbus Application Protocol Specification
/// V1.1b3 (§6.1–§6.12, §7), in both directions.
/// </summary>
public sealed class ModbusPduFormatterTests
{
    private static byte[] Request(ModbusRequest request)
    {
        var buffer = new byte[ModbusPduFormatter.MaxPduLength];
        return buffer[..ModbusPduFormatter.WriteRequest(request, buffer)];
    }

    private static byte[] Response(ModbusResponse response)
    {
        var buffer = new byte[ModbusPduFormatter.MaxPduLength];
        return buffer[..ModbusPduFormatter.WriteResponse(response, buffer)];
    }

    private static ModbusRequest DecodeRequest(string hex)
    {
        var status = ModbusPduFormatter.TryReadRequest(Hex.Parse(hex), out var request);
        Assert.Equal(RequestDecodeStatus.Ok, status);
        return Assert.IsAssignableFrom<ModbusRequest>(request);
    }

    private static ModbusResponse DecodeResponse(string hex)
    {
        Assert.True(ModbusPduFormatter.TryReadResponse(Hex.Parse(hex), out var response, out var error), error);
        Assert.Null(error);
        return Assert.IsAssignableFrom<ModbusResponse>(response);
    }

    private static bool[] Bits(string zeroesAndOnes) => [.. zeroesAndOnes.Where(c => c is '0' or '1').Select(c => c == '1')];

    // §6.1 Read Coils 20–38: outputs 27–20 = CD, 35–28 = 6B, 38–36 = 05 (LSB first within each byte).
    private static readonly bool[] SpecCoils20To38 = Bits("10110011 11010110 101");

    // §6.2 Read Discrete Inputs 197–218: AC DB 35.
    private static readonly bool[] SpecInputs197To218 = Bits("00110101 11011011 101011");

    [Fact]
    public void WriteRequest_ReadCoilsSpecExample_MatchesSpecBytes() =>
        Assert.Equal("01 00 13 00 13", Hex.Format(Request(new ReadRequest(ModbusFunctionCode.ReadCoils, 19, 19))));

    [Fact]
    public void TryReadRequest_ReadCoilsSpecExample_DecodesFields() =>
        Assert.Equal(new ReadRequest(ModbusFunctionCode.ReadCoils, 19, 19), DecodeRequest("01 00 13 00 13"));

    [Fact]
    public void WriteResponse_ReadCoilsSpecExample_MatchesSpecBytes() =>
        Assert.Equal("01 03 CD 6B 05", Hex.Format(Response(new ReadBitsResponse(ModbusFunctionCode.ReadCoils, SpecCoils20To38))));

    [Fact]
    public void TryReadResponse_ReadCoilsSpecExample_DecodesWholeBytesOfBits()
    {
        var bits = Assert.IsType<ReadBitsResponse>(DecodeResponse("01 03 CD 6B 05"));
        Assert.Equal(ModbusFunctionCode.ReadCoils, bits.Function);
        Assert.Equal(24, bits.Bits.Length);
        Assert.Equal(SpecCoils20To38, bits.Bits[..19]);
        Assert.All(bits.Bits[19..], bit => Assert.False(bit));
    }

    [Fact]
    public void WriteRequest_ReadDiscreteInputsSpecExample_MatchesSpecBytes() =>
        Assert.Equal("02 00 C4 00 16", Hex.Format(Request(new ReadRequest(ModbusFunctionCode.ReadDiscreteInputs, 196, 22))));

    [Fact]
    public void TryReadRequest_ReadDiscreteInputsSpecExample_DecodesFields() =>
        Assert.Equal(new ReadRequest(ModbusFunctionCode.ReadDiscreteInputs, 196, 22), DecodeRequest("02 00 C4 00 16"));

    [Fact]
    public void WriteResponse_ReadDiscreteInputsSpecExample_MatchesSpecBytes() =>
        Assert.Equal("02 03 AC DB 35", Hex.Format(Response(new ReadBitsResponse(ModbusFunctionCode.ReadDiscreteInputs, SpecInputs197To218))));

    [Fact]
    public void TryReadResponse_ReadDiscreteInputsSpecExample_DecodesBits()
    {
        var bits = Assert.IsType<ReadBitsResponse>(DecodeResponse("02 03 AC DB 35"));
        Assert.Equal(ModbusFunctionCode.ReadDiscreteInputs, bits.Function);
        Assert.Equal(SpecInputs197To218, bits.Bits[..22]);
        Assert.All(bits.Bits[22..], bit => Assert.False(bit));
    }

    [Fact]
    public void WriteRequest_ReadHoldingRegistersSpecExample_MatchesSpecBytes() =>
        Assert.Equal("03 00 6B 00 03", Hex.Format(Request(new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 107, 3))));

    [Fact]
    public void TryReadRequest_ReadHoldingRegistersSpecExample_DecodesFields() =>
        Assert.Equal(new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 107, 3), DecodeRequest("03 00 6B 00 03"));

    [Fact]
    public void WriteResponse_ReadHoldingRegistersSpecExample_MatchesSpecBytes() =>
        Assert.Equal("03 06 02 2B 00 00 00 64", Hex.Format(Response(new ReadRegistersResponse(ModbusFunctionCode.ReadHoldingRegisters, [0x022B, 0x0000, 0x0064]))));

    [Fact]
    public void TryReadResponse_ReadHoldingRegistersSpecExample_DecodesRegisters()
    {
        var registers = Assert.IsType<ReadRegistersResponse>(DecodeResponse("03 06 02 2B 00 00 00 64"));
        Assert.Equal(ModbusFunctionCode.ReadHoldingRegisters, registers.Function);
        Assert.Equal(new ushort[] { 555, 0, 100 }, registers.Registers);
    }

    [Fact]
    public void WriteRequest_ReadInputRegistersSpecExample_MatchesSpecBytes() =>
        Assert.Equal("04 00 08 00 01", Hex.Format(Request(new ReadRequest(ModbusFunctionCode.ReadInputRegisters, 8, 1))));

    [Fact]
    public void TryReadRequest_ReadInputRegistersSpecExample_DecodesFields() =>
        Assert.Equal(new ReadRequest(ModbusFunctionCode.ReadInputRegisters, 8, 1), DecodeRequest("04 00 08 00 01"));

    [Fact]
    public void WriteResponse_ReadInputRegistersSpecExample_MatchesSpecBytes() =>
        Assert.Equal("04 02 00 0A", Hex.Format(Response(new ReadRegistersResponse(ModbusFunctionCode.ReadInputRegisters, [10]))));

    [Fact]
    public void TryReadResponse_ReadInputRegistersSpecExample_DecodesRegister()
    {
        var registers = Assert.IsType<ReadRegistersResponse>(DecodeResponse("04 02 00 0A"));
        Assert.Equal(ModbusFunctionCode.ReadInputRegisters, registers.Function);
        Assert.Equal(new ushort[] { 10 }, registers.Registers);
    }

    [Fact]
    public void WriteRequest_WriteSingleCoilSpecExample_MatchesSpecBytes() =>
        Assert.Equal("05 00 AC FF 00", Hex.Format(Request(new WriteSingleCoilRequest(172, true))));

    [Fact]
    public void WriteRequest_WriteSingleCoilOff_WritesZeroWord() =>
        Assert.Equal("05 00 AC 00 00", Hex.Format(Request(new WriteSingleCoilRequest(172, false))));

    [Fact]
    public void TryReadRequest_WriteSingleCoilSpecExample_DecodesOn() =>
        Assert.Equal(new WriteSingleCoilRequest(172, true), DecodeRequest("05 00 AC FF 00"));

    [Fact]
    public void WriteResponse_WriteSingleCoilSpecExample_EchoesRequestBytes() =>
        Assert.Equal("05 00 AC FF 00", Hex.Format(Response(new WriteSingleResponse(ModbusFunctionCode.WriteSingleCoil, 172, ModbusLimits.CoilOn))));

    [Fact]
    public void TryReadResponse_WriteSingleCoilSpecExample_DecodesEcho() =>
        Assert.Equal(new WriteSingleResponse(ModbusFunctionCode.WriteSingleCoil, 172, 0xFF00), DecodeResponse("05 00 AC FF 00"));

    [Fact]
    public void WriteRequest_WriteSingleRegisterSpecExample_MatchesSpecBytes() =>
        Assert.Equal("06 00 01 00 03", Hex.Format(Request(new WriteSingleRegisterRequest(1, 3))));

    [Fact]
    public void TryReadRequest_WriteSingleRegisterSpecExample_DecodesFields() =>
        Assert.Equal(new WriteSingleRegisterRequest(1, 3), DecodeRequest("06 00 01 00 03"));

    [Fact]
    public void WriteResponse_WriteSingleRegisterSpecExample_EchoesRequestBytes() =>
        Assert.Equal("06 00 01 00 03", Hex.Format(Response(new WriteSingleResponse(ModbusFunctionCode.WriteSingleRegister, 1, 3))));

    [Fact]
    public void TryReadResponse_WriteSingleRegisterSpecExample_DecodesEcho() =>
        Assert.Equal(new WriteSingleResponse(ModbusFunctionCode.WriteSingleRegister, 1, 3), DecodeResponse("06 00 01 00 03"));

    [Fact]
    public void WriteRequest_WriteMultipleCoilsSpecExample_MatchesSpecBytes() =>
        Assert.Equal("0F 00 13 00 0A 02 CD 01", Hex.Format(Request(new WriteMultipleCoilsRequest(19, Bits("10110011 10")))));

    [Fact]
    public void TryReadRequest_WriteMultipleCoilsSpecExample_DecodesExactlyQuantityBits()
    {
        var coils = Assert.IsType<WriteMultipleCoilsRequest>(DecodeRequest("0F 00 13 00 0A 02 CD 01"));
        Assert.Equal(19, coils.StartAddress);
        Assert.Equal(Bits("10110011 10"), coils.Values);
    }

    [Fact]
    public void WriteResponse_WriteMultipleCoilsSpecExample_MatchesSpecBytes() =>
        Assert.Equal("0F 00 13 00 0A", Hex.Format(Response(new WriteMultipleResponse(ModbusFunctionCode.WriteMultipleCoils, 19, 10))));

    [Fact]
    public void TryReadResponse_WriteMultipleCoilsSpecExample_DecodesFields() =>
        Assert.Equal(new WriteMultipleResponse(ModbusFunctionCode.WriteMultipleCoils, 19, 10), DecodeResponse("0F 00 13 00 0A"));

    [Fact]
    public void WriteRequest_WriteMultipleRegistersSpecExample_MatchesSpecBytes() =>
        Assert.Equal("10 00 01 00 02 04 00 0A 01 02", Hex.Format(Request(new WriteMultipleRegistersRequest(1, [0x000A, 0x0102]))));

    [Fact]
    public void TryReadRequest_WriteMultipleRegistersSpecExample_DecodesFields()
    {
        var registers = Assert.IsType<WriteMultipleRegistersRequest>(DecodeRequest("10 00 01 00 02 04 00 0A 01 02"));
        Assert.Equal(1, registers.StartAddress);
        Assert.Equal(new ushort[] { 0x000A, 0x0102 }, registers.Values);
    }

    [Fact]
    public void WriteResponse_WriteMultipleRegistersSpecExample_MatchesSpecBytes() =>
        Assert.Equal("10 00 01 00 02", Hex.Format(Response(new WriteMultipleResponse(ModbusFunctionCode.WriteMultipleRegisters, 1, 2))));

    [Fact]
    public void TryReadResponse_WriteMultipleRegistersSpecExample_DecodesFields() =>
        Assert.Equal(new WriteMultipleResponse(ModbusFunctionCode.WriteMultipleRegisters, 1, 2), DecodeResponse("10 00 01 00 02"));

    [Theory]
    [InlineData(0x01, ModbusExceptionCode.IllegalDataAddress, "81 02")]
    [InlineData(0x03, ModbusExceptionCode.IllegalDataAddress, "83 02")]
    [InlineData(0x10, ModbusExceptionCode.IllegalDataValue, "90 03")]
    [InlineData(0x2B, ModbusExceptionCode.IllegalFunction, "AB 01")]
    public void WriteResponse_Exception_SetsHighBitOfFunction(byte function, ModbusExceptionCode code, string expected) =>
        Assert.Equal(expected, Hex.Format(Response(new ExceptionResponse(function, code))));

    [Theory]
    [InlineData("81 02", 0x01, ModbusExceptionCode.IllegalDataAddress)]
    [InlineData("83 02", 0x03, ModbusExceptionCode.IllegalDataAddress)]
    [InlineData("86 04", 0x06, ModbusExceptionCode.ServerDeviceFailure)]
    public void TryReadResponse_Exception_DecodesFunctionAndCode(string hex, byte function, ModbusExceptionCode code)
    {
        var exception = Assert.IsType<ExceptionResponse>(DecodeResponse(hex));
        Assert.Equal(function, exception.FunctionCode);
        Assert.Equal(code, exception.Code);
    }

    public static TheoryData<ModbusRequest> RequestsOutsideLimits => new()
    {
        new ReadRequest(ModbusFunctionCode.ReadCoils, 0, 0),
        new ReadRequest(ModbusFunctionCode.ReadCoils, 0, 2001),
        new ReadRequest(ModbusFunctionCode.ReadDiscreteInputs, 0, 2001),
        new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 0, 0),
        new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 0, 126),
        new ReadRequest(ModbusFunctionCode.ReadInputRegisters, 0, 126),
        new WriteMultipleCoilsRequest(0, []),
        new WriteMultipleCoilsRequest(0, new bool[1969]),
        new WriteMultipleRegistersRequest(0, []),
        new WriteMultipleRegistersRequest(0, new ushort[124]),
    };

    [Theory]
    [MemberData(nameof(RequestsOutsideLimits))]
    public void WriteRequest_QuantityOutsideLimits_ThrowsArgumentException(ModbusRequest request) =>
        Assert.Throws<ArgumentException>(() => Request(request));

    [Theory]
    [InlineData("01 00 00 07 D0")] // 2000 coils
    [InlineData("02 00 00 07 D0")]
    [InlineData("03 00 00 00 7D")] // 125 registers
    [InlineData("04 00 00 00 7D")]
    public void TryReadRequest_QuantityAtLimit_IsOk(string hex) =>
        Assert.Equal(RequestDecodeStatus.Ok, ModbusPduFormatter.TryReadRequest(Hex.Parse(hex), out _));

    [Theory]
    [InlineData("01 00 00 00 00")] // 0 coils
    [InlineData("01 00 00 07 D1")] // 2001 coils
    [InlineData("02 00 00 07 D1")]
    [InlineData("03 00 00 00 00")] // 0 registers
    [InlineData("03 00 00 00 7E")] // 126 registers
    [InlineData("04 00 00 00 7E")]
    [InlineData("0F 00 00 00 00 00")] // 0 coils written
    [InlineData("0F 00 00 07 B1 F7")] // 1969 coils written
    [InlineData("10 00 00 00 00 00")] // 0 registers written
    [InlineData("10 00 00 00 7C F8")] // 124 registers written
    [InlineData("0F 00 13 00 0A 01 CD")] // byte count 1 for 10 coils
    [InlineData("0F 00 13 00 0A 02 CD")] // byte count says 2, 1 present
    [InlineData("10 00 01 00 02 03 00 0A 01")] // odd byte count
    [InlineData("10 00 01 00 02 04 00 0A 01 02 FF")] // trailing byte
    [InlineData("03 00 6B 00 03 00")] // read with a trailing byte
    public void TryReadRequest_BadQuantityOrByteCount_IsIllegalDataValue(string hex)
    {
        Assert.Equal(RequestDecodeStatus.IllegalDataValue, ModbusPduFormatter.TryReadRequest(Hex.Parse(hex), out var request));
        Assert.Null(request);
    }

    [Theory]
    [InlineData("05 00 AC FF 01")]
    [InlineData("05 00 AC 00 FF")]
    [InlineData("05 00 AC 00 01")]
    [InlineData("05 00 AC FF FF")]
    public void TryReadRequest_CoilValueNotFF00Or0000_IsIllegalDataValue(string hex) =>
        Assert.Equal(RequestDecodeStatus.IllegalDataValue, ModbusPduFormatter.TryReadRequest(Hex.Parse(hex), out _));

    [Theory]
    [InlineData("00 00 00 00 01")]
    [InlineData("07")]
    [InlineData("2B 0E 01 00")]
    [InlineData("81 00 00 00 01")]
    [InlineData("FF")]
    public void TryReadRequest_UnknownFunction_IsIllegalFunction(string hex) =>
        Assert.Equal(RequestDecodeStatus.IllegalFunction, ModbusPduFormatter.TryReadRequest(Hex.Parse(hex), out _));

    [Theory]
    [InlineData("10 00 01 00 02 04 00 0A 01 02")]
    [InlineData("0F 00 13 00 0A 02 CD 01")]
    [InlineData("05 00 AC FF 00")]
    [InlineData("06 00 01 00 03")]
    [InlineData("01 00 13 00 13")]
    public void TryReadRequest_EveryTruncation_ReturnsStatusWithoutThrowing(string hex)
    {
        var pdu = Hex.Parse(hex);
        for (var length = 0; length < pdu.Length; length++)
        {
            var status = ModbusPduFormatter.TryReadRequest(pdu.AsSpan(0, length), out var request);
            Assert.Equal(RequestDecodeStatus.IllegalDataValue, status);
            Assert.Null(request);
        }
    }

    [Theory]
    [InlineData("01 03 CD 6B 05")]
    [InlineData("03 06 02 2B 00 00 00 64")]
    [InlineData("05 00 AC FF 00")]
    [InlineData("10 00 01 00 02")]
    [InlineData("83 02")]
    public void TryReadResponse_EveryTruncation_ReturnsFalseWithReason(string hex)
    {
        var pdu = Hex.Parse(hex);
        for (var length = 0; length < pdu.Length; length++)
        {
            Assert.False(ModbusPduFormatter.TryReadResponse(pdu.AsSpan(0, length), out var response, out var error));
            Assert.Null(response);
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Theory]
    [InlineData("01 03 CD 6B")] // byte count 3, 2 present
    [InlineData("01 02 CD 6B 05")] // byte count 2, 3 present
    [InlineData("01 00")] // zero byte count
    [InlineData("03 06 02 2B 00 00")] // 6 announced, 4 present
    [InlineData("03 04 02 2B 00 00 00 64")] // 4 announced, 6 present
    [InlineData("03 03 02 2B 00")] // odd register byte count
    [InlineData("04 00")]
    [InlineData("06 00 01 00 03 00")] // write echo one byte long
    [InlineData("83 02 00")] // exception with a trailing byte
    [InlineData("2B 0E 01")] // unknown function
    [InlineData("07 00")]
    public void TryReadResponse_MalformedPdu_ReturnsFalseWithReason(string hex)
    {
        Assert.False(ModbusPduFormatter.TryReadResponse(Hex.Parse(hex), out var response, out var error));
        Assert.Null(response);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryReadResponse_ByteCountMismatch_ReasonNamesByteCount()
    {
        Assert.False(ModbusPduFormatter.TryReadResponse(Hex.Parse("01 03 CD 6B"), out _, out var error));
        Assert.Contains("byte count", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PackBits_NineBits_LeavesUnusedHighBitsZero()
    {
        var destination = new byte[] { 0xFF, 0xFF };
        ModbusPduFormatter.PackBits(Bits("11111111 1"), destination);
        Assert.Equal("FF 01", Hex.Format(destination));
    }

    [Fact]
    public void UnpackBits_CountBeyondBytes_StopsAtAvailableBits() =>
        Assert.Equal(8, ModbusPduFormatter.UnpackBits(new byte[] { 0x01 }, 100).Length);
}
