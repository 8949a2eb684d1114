using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Server;

namespace Irrigation.Modbus.Tests;

public sealed class ModbusDataStoreTests
{
    private static ModbusDataStore Store()
    {
        var store = new ModbusDataStore()
            .AddBlock(ModbusTable.HoldingRegisters, 100, 10)
            .AddBlock(ModbusTable.HoldingRegisters, 110, 10)
            .AddBlock(ModbusTable.Coils, 0, 16)
            .AddBlock(ModbusTable.InputRegisters, 0, 4);
        store.TryWrite(ModbusTable.HoldingRegisters, 100, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        return store;
    }

    [Fact]
    public void TryRead_InsideBlock_CopiesValues()
    {
        var values = new ushort[3];
        Assert.True(Store().TryRead(ModbusTable.HoldingRegisters, 102, values));
        Assert.Equal(new ushort[] { 3, 4, 5 }, values);
    }

    [Fact]
    public void TryRead_WholeBlock_Succeeds() =>
        Assert.True(Store().TryRead(ModbusTable.HoldingRegisters, 100, new ushort[10]));

    [Theory]
    [InlineData(99, 1)] // before the block
    [InlineData(108, 3)] // runs past 109 into the next block: blocks are not merged
    [InlineData(115, 6)] // runs past the last block
    [InlineData(120, 1)]
    public void TryRead_NotInsideOneBlock_ReturnsFalse(ushort start, int count) =>
        Assert.False(Store().TryRead(ModbusTable.HoldingRegisters, start, new ushort[count]));

    [Fact]
    public void TryRead_UnmappedTable_ReturnsFalse() =>
        Assert.False(Store().TryRead(ModbusTable.DiscreteInputs, 0, new ushort[1]));

    [Fact]
    public void Handle_ReadHoldingInsideBlock_ReturnsRegisters()
    {
        var response = Assert.IsType<ReadRegistersResponse>(Store().Handle(new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 108, 2)));
        Assert.Equal(ModbusFunctionCode.ReadHoldingRegisters, response.Function);
        Assert.Equal(new ushort[] { 9, 10 }, response.Registers);
    }

    [Fact]
    public void Handle_ReadCrossingBlockEnd_IsIllegalDataAddress()
    {
        var response = Assert.IsType<ExceptionResponse>(Store().Handle(new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 108, 3)));
        Assert.Equal(0x03, response.FunctionCode);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, response.Code);
    }

    [Theory]
    [InlineData(ModbusFunctionCode.ReadCoils, 16)]
    [InlineData(ModbusFunctionCode.ReadDiscreteInputs, 0)]
    [InlineData(ModbusFunctionCode.ReadInputRegisters, 4)]
    public void Handle_ReadUnmapped_IsIllegalDataAddressForThatFunction(ModbusFunctionCode function, ushort start)
    {
        var response = Assert.IsType<ExceptionResponse>(Store().Handle(new ReadRequest(function, start, 1)));
        Assert.Equal((byte)function, response.FunctionCode);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, response.Code);
    }

    [Fact]
    public void Handle_ReadCoils_ReturnsExactlyQuantityBits()
    {
        var store = Store();
        store.TryWrite(ModbusTable.Coils, 0, [1, 0, 1]);
        var response = Assert.IsType<ReadBitsResponse>(store.Handle(new ReadRequest(ModbusFunctionCode.ReadCoils, 0, 3)));
        Assert.Equal(new[] { true, false, true }, response.Bits);
    }

    [Fact]
    public void Handle_WriteSingleCoil_StoresOneAndEchoesFF00()
    {
        var store = Store();
        var response = store.Handle(new WriteSingleCoilRequest(5, true));
        Assert.Equal(new WriteSingleResponse(ModbusFunctionCode.WriteSingleCoil, 5, 0xFF00), response);
        var value = new ushort[1];
        Assert.True(store.TryRead(ModbusTable.Coils, 5, value));
        Assert.Equal(1, value[0]);

        Assert.Equal(new WriteSingleResponse(ModbusFunctionCode.WriteSingleCoil, 5, 0x0000), store.Handle(new WriteSingleCoilRequest(5, false)));
        Assert.True(store.TryRead(ModbusTable.Coils, 5, value));
        Assert.Equal(0, value[0]);
    }

    [Fact]
    public void Handle_WriteSingleRegister_StoresAndEchoes()
    {
        var store = Store();
        Assert.Equal(new WriteSingleResponse(ModbusFunctionCode.WriteSingleRegister, 111, 0xBEEF), store.Handle(new WriteSingleRegisterRequest(111, 0xBEEF)));
        var value = new ushort[1];
        Assert.True(store.TryRead(ModbusTable.HoldingRegisters, 111, value));
        Assert.Equal(0xBEEF, value[0]);
    }

    [Fact]
    public void Handle_WriteMultipleRegisters_StoresAndReportsQuantity()
    {
        var store = Store();
        Assert.Equal(new WriteMultipleResponse(ModbusFunctionCode.WriteMultipleRegisters, 110, 3), store.Handle(new WriteMultipleRegistersRequest(110, [7, 8, 9])));
        var values = new ushort[3];
        Assert.True(store.TryRead(ModbusTable.HoldingRegisters, 110, values));
        Assert.Equal(new ushort[] { 7, 8, 9 }, values);
    }

    [Fact]
    public void Handle_WriteMultipleCoils_StoresBitsAsOnesAndZeroes()
    {
        var store = Store();
        Assert.Equal(new WriteMultipleResponse(ModbusFunctionCode.WriteMultipleCoils, 14, 2), store.Handle(new WriteMultipleCoilsRequest(14, [true, false])));
        var values = new ushort[2];
        Assert.True(store.TryRead(ModbusTable.Coils, 14, values));
        Assert.Equal(new ushort[] { 1, 0 }, values);
    }

    [Fact]
    public void Handle_WriteCrossingBlockEnd_IsIllegalDataAddressAndWritesNothing()
    {
        var store = Store();
        var response = Assert.IsType<ExceptionResponse>(store.Handle(new WriteMultipleRegistersRequest(109, [0xAAAA, 0xBBBB])));
        Assert.Equal(0x10, response.FunctionCode);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, response.Code);
        var values = new ushort[2];
        Assert.True(store.TryRead(ModbusTable.HoldingRegisters, 108, values));
        Assert.Equal(new ushort[] { 9, 10 }, values);
    }

    [Fact]
    public void Handle_WriteSingleRegisterUnmapped_IsIllegalDataAddress() =>
        Assert.Equal(new ExceptionResponse(0x06, ModbusExceptionCode.IllegalDataAddress), Store().Handle(new WriteSingleRegisterRequest(0, 1)));

    [Fact]
    public void AddBlock_PastAddress65535_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModbusDataStore().AddBlock(ModbusTable.Coils, 0xFFFF, 2));

    [Fact]
    public void AddBlock_EndingAtAddress65535_IsReadable()
    {
        var store = new ModbusDataStore().AddBlock(ModbusTable.InputRegisters, 0xFFFE, 2);
        Assert.True(store.TryRead(ModbusTable.InputRegisters, 0xFFFE, new ushort[2]));
    }

    [Fact]
    public void AddBlock_ZeroLength_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModbusDataStore().AddBlock(ModbusTable.Coils, 0, 0));

    [Fact]
    public async Task HandleAsync_UnknownUnit_ReturnsNull()
    {
        var handler = new ModbusDataStoreHandler(new Dictionary<byte, ModbusDataStore> { [1] = Store() });
        Assert.Null(await handler.HandleAsync(2, new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 100, 1), CancellationToken.None));
        Assert.IsType<ReadRegistersResponse>(await handler.HandleAsync(1, new ReadRequest(ModbusFunctionCode.ReadHoldingRegisters, 100, 1), CancellationToken.None));
    }
}
