namespace Irrigation.Modbus.Pdu;

/// <summary>A request PDU: plain data, turned into bytes by <see cref="ModbusPduFormatter"/>.</summary>
public abstract record ModbusRequest(ModbusFunctionCode Function);

/// <summary>Functions 01–04: read <paramref name="Quantity"/> bits or registers from <paramref name="StartAddress"/>.</summary>
public sealed record ReadRequest(ModbusFunctionCode Function, ushort StartAddress, ushort Quantity) : ModbusRequest(Function)
{
    public bool ReadsBits => Function is ModbusFunctionCode.ReadCoils or ModbusFunctionCode.ReadDiscreteInputs;
}

/// <summary>Function 05.</summary>
public sealed record WriteSingleCoilRequest(ushort Address, bool Value) : ModbusRequest(ModbusFunctionCode.WriteSingleCoil);

/// <summary>Function 06.</summary>
public sealed record WriteSingleRegisterRequest(ushort Address, ushort Value) : ModbusRequest(ModbusFunctionCode.WriteSingleRegister);

/// <summary>Function 15 (0x0F).</summary>
public sealed record WriteMultipleCoilsRequest(ushort StartAddress, bool[] Values) : ModbusRequest(ModbusFunctionCode.WriteMultipleCoils);

/// <summary>Function 16 (0x10).</summary>
public sealed record WriteMultipleRegistersRequest(ushort StartAddress, ushort[] Values) : ModbusRequest(ModbusFunctionCode.WriteMultipleRegisters);
