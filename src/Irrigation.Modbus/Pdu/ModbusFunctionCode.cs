namespace Irrigation.Modbus.Pdu;

/// <summary>Public function codes this library speaks (Modbus Application Protocol V1.1b3 §6).</summary>
public enum ModbusFunctionCode : byte
{
    /// <summary>§6.1 Read Coils.</summary>
    ReadCoils = 0x01,

    /// <summary>§6.2 Read Discrete Inputs.</summary>
    ReadDiscreteInputs = 0x02,

    /// <summary>§6.3 Read Holding Registers.</summary>
    ReadHoldingRegisters = 0x03,

    /// <summary>§6.4 Read Input Registers.</summary>
    ReadInputRegisters = 0x04,

    /// <summary>§6.5 Write Single Coil.</summary>
    WriteSingleCoil = 0x05,

    /// <summary>§6.6 Write Single Register.</summary>
    WriteSingleRegister = 0x06,

    /// <summary>§6.11 Write Multiple Coils.</summary>
    WriteMultipleCoils = 0x0F,

    /// <summary>§6.12 Write Multiple Registers.</summary>
    WriteMultipleRegisters = 0x10,
}

/// <summary>Exception codes (§7).</summary>
public enum ModbusExceptionCode : byte
{
    None = 0x00,
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
    Acknowledge = 0x05,
    ServerDeviceBusy = 0x06,
    MemoryParityError = 0x08,
    GatewayPathUnavailable = 0x0A,
    GatewayTargetFailedToRespond = 0x0B,
}

/// <summary>Limits the spec puts on PDUs (§4.1 and each function's section).</summary>
public static class ModbusLimits
{
    /// <summary>§4.1: a PDU is at most 253 bytes (256-byte serial ADU less address and CRC).</summary>
    public const int MaxPduLength = 253;

    /// <summary>§6.1/§6.2: 1 to 2000 coils or discrete inputs per read.</summary>
    public const int MaxReadBits = 2000;

    /// <summary>§6.3/§6.4: 1 to 125 registers per read.</summary>
    public const int MaxReadRegisters = 125;

    /// <summary>§6.11: 1 to 1968 coils per write.</summary>
    public const int MaxWriteBits = 1968;

    /// <summary>§6.12: 1 to 123 registers per write.</summary>
    public const int MaxWriteRegisters = 123;

    /// <summary>The function code with its high bit set marks an exception response (§7).</summary>
    public const byte ExceptionFlag = 0x80;

    /// <summary>Coil ON/OFF as carried by function 05 (§6.5).</summary>
    public const ushort CoilOn = 0xFF00;

    public const ushort CoilOff = 0x0000;

    public static bool IsSupported(byte functionCode) => functionCode is 0x01 or 0x02 or 0x03 or 0x04 or 0x05 or 0x06 or 0x0F or 0x10;
}
