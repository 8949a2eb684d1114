namespace Irrigation.Modbus.Pdu;

/// <summary>A response PDU: plain data, turned into bytes by <see cref="ModbusPduFormatter"/>.</summary>
public abstract record ModbusResponse(ModbusFunctionCode Function);

/// <summary>Functions 01/02. The wire carries whole bytes, so <see cref="Bits"/> has ByteCount × 8 entries; callers trim.</summary>
public sealed record ReadBitsResponse(ModbusFunctionCode Function, bool[] Bits) : ModbusResponse(Function);

/// <summary>Functions 03/04.</summary>
public sealed record ReadRegistersResponse(ModbusFunctionCode Function, ushort[] Registers) : ModbusResponse(Function);

/// <summary>Functions 05/06 echo the request: address and the raw 16-bit value (0xFF00/0x0000 for a coil).</summary>
public sealed record WriteSingleResponse(ModbusFunctionCode Function, ushort Address, ushort Value) : ModbusResponse(Function);

/// <summary>Functions 15/16: start address and quantity written.</summary>
public sealed record WriteMultipleResponse(ModbusFunctionCode Function, ushort StartAddress, ushort Quantity) : ModbusResponse(Function);

/// <summary>§7: function code | 0x80 followed by one exception code. <see cref="FunctionCode"/> is the raw request code.</summary>
public sealed record ExceptionResponse(byte FunctionCode, ModbusExceptionCode Code) : ModbusResponse((ModbusFunctionCode)FunctionCode);
