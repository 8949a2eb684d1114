using Irrigation.Interop.Tests.Peers;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Values;
using Xunit;

namespace Irrigation.Interop.Tests;

/// <summary>
/// Our <see cref="ModbusClient"/> against a real pymodbus 3.0 server (Debian python3-pymodbus), over Modbus TCP
/// and over RTU-over-TCP. The served data is fixed in peers/pymodbus_server.py, encoded there with Python's
/// struct module, so decoding here is checked against an independent encoder.
/// </summary>
public sealed class PymodbusServerInteropTests : IClassFixture<PymodbusServerFixture>
{
    private const byte Unit = 1;

    private readonly PymodbusServerFixture _peers;

    public PymodbusServerInteropTests(PymodbusServerFixture peers) => _peers = peers;

    [Theory]
    [InlineData(PymodbusServerFixture.Tcp)]
    [InlineData(PymodbusServerFixture.RtuOverTcp)]
    public async Task ReadHoldingRegisters_ServedFloatAndInt32_DecodeExactly(string framing)
    {
        await using var client = _peers.CreateClient(framing);

        var registers = await client.ReadHoldingRegistersAsync(Unit, 100, 6);

        Assert.Equal(new ushort[] { 0x4366, 0x8000, 0xFFFE, 0x1DC0 }, registers[..4]);
        Assert.Equal(230.5, RegisterCodec.Decode(registers.AsSpan(0, 2), RegisterType.Float32, WordOrder.ABCD));
        Assert.Equal(-123456, RegisterCodec.Decode(registers.AsSpan(2, 2), RegisterType.Int32, WordOrder.ABCD));
        Assert.Equal(49.98f, (float)RegisterCodec.Decode(registers.AsSpan(4, 2), RegisterType.Float32, WordOrder.CDAB));
    }

    [Theory]
    [InlineData(PymodbusServerFixture.Tcp)]
    [InlineData(PymodbusServerFixture.RtuOverTcp)]
    public async Task ReadInputRegisters_ServedValues_DecodeExactly(string framing)
    {
        await using var client = _peers.CreateClient(framing);

        var registers = await client.ReadInputRegistersAsync(Unit, 200, 4);

        Assert.Equal(4242, RegisterCodec.Decode(registers.AsSpan(0, 1), RegisterType.UInt16));
        Assert.Equal(-2, RegisterCodec.Decode(registers.AsSpan(1, 1), RegisterType.Int16));
        Assert.Equal(-12.25, RegisterCodec.Decode(registers.AsSpan(2, 2), RegisterType.Float32, WordOrder.ABCD));
    }

    [Theory]
    [InlineData(PymodbusServerFixture.Tcp)]
    [InlineData(PymodbusServerFixture.RtuOverTcp)]
    public async Task ReadCoilsAndDiscreteInputs_ServedPattern_MatchBitForBit(string framing)
    {
        await using var client = _peers.CreateClient(framing);

        var coils = await client.ReadCoilsAsync(Unit, 0, 8);
        var inputs = await client.ReadInputsAsync(Unit, 0, 16);

        Assert.Equal(new[] { true, false, true, true, false, false, false, true }, coils);
        Assert.Equal(BitPattern.Parse("0110100010000001"), inputs);
    }

    [Theory]
    [InlineData(PymodbusServerFixture.Tcp, 106)]
    [InlineData(PymodbusServerFixture.RtuOverTcp, 107)]
    public async Task WriteSingleRegister_ScratchAddress_ReadsBack(string framing, ushort address)
    {
        await using var client = _peers.CreateClient(framing);

        await client.WriteSingleRegisterAsync(Unit, address, 0xBEEF);

        Assert.Equal(new ushort[] { 0xBEEF }, await client.ReadHoldingRegistersAsync(Unit, address, 1));
    }

    [Theory]
    [InlineData(PymodbusServerFixture.Tcp)]
    [InlineData(PymodbusServerFixture.RtuOverTcp)]
    public async Task WriteMultipleRegisters_EncodedFloat_ReadsBackAndDecodes(string framing)
    {
        await using var client = _peers.CreateClient(framing);
        var registers = new ushort[4];
        RegisterCodec.Encode(-1.5e-3, RegisterType.Float32, WordOrder.ABCD, registers.AsSpan(0, 2));
        RegisterCodec.Encode(3_000_000_000, RegisterType.UInt32, WordOrder.CDAB, registers.AsSpan(2, 2));

        await client.WriteMultipleRegistersAsync(Unit, 110, registers);
        var back = await client.ReadHoldingRegistersAsync(Unit, 110, 4);

        Assert.Equal(registers, back);
        Assert.Equal((double)-1.5e-3f, RegisterCodec.Decode(back.AsSpan(0, 2), RegisterType.Float32, WordOrder.ABCD));
        Assert.Equal(3_000_000_000, RegisterCodec.Decode(back.AsSpan(2, 2), RegisterType.UInt32, WordOrder.CDAB));
    }

    [Theory]
    [InlineData(PymodbusServerFixture.Tcp)]
    [InlineData(PymodbusServerFixture.RtuOverTcp)]
    public async Task WriteCoils_SingleAndMultiple_ReadBack(string framing)
    {
        await using var client = _peers.CreateClient(framing);

        await client.WriteSingleCoilAsync(Unit, 8, true);
        await client.WriteMultipleCoilsAsync(Unit, 9, BitPattern.Parse("1011001"));
        await client.WriteSingleCoilAsync(Unit, 15, false);

        // Coils 0..7 are the served pattern; 8 on, 9..15 as written, then 15 switched off again.
        Assert.Equal(BitPattern.Parse("10110001" + "11011000"), await client.ReadCoilsAsync(Unit, 0, 16));
    }

    [Theory]
    [InlineData(PymodbusServerFixture.Tcp)]
    [InlineData(PymodbusServerFixture.RtuOverTcp)]
    public async Task ReadHoldingRegisters_OutsideDatablock_ThrowsIllegalDataAddress(string framing)
    {
        await using var client = _peers.CreateClient(framing);

        var unmapped = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.ReadHoldingRegistersAsync(Unit, 1000, 1));
        var overlapping = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.ReadHoldingRegistersAsync(Unit, 118, 4));
        var write = await Assert.ThrowsAsync<ModbusSlaveException>(() => client.WriteSingleRegisterAsync(Unit, 99, 1));

        Assert.Equal((ModbusExceptionCode.IllegalDataAddress, (byte)0x03), (unmapped.Code, unmapped.FunctionCode));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, overlapping.Code);
        Assert.Equal((ModbusExceptionCode.IllegalDataAddress, (byte)0x06), (write.Code, write.FunctionCode));
        // The exception response leaves the connection usable.
        Assert.Equal(new ushort[] { 0x4366, 0x8000 }, await client.ReadHoldingRegistersAsync(Unit, 100, 2));
    }
}
