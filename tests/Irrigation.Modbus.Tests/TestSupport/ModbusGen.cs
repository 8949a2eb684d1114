using FsCheck;
using FsCheck.Fluent;
using Irrigation.Modbus.Pdu;

namespace Irrigation.Modbus.Tests.TestSupport;

/// <summary>FsCheck generators for every request and response type, inside the spec's limits.</summary>
internal static class ModbusGen
{
    public static Gen<byte> Byte => Gen.Choose(0, 0xFF).Select(i => (byte)i);

    public static Gen<ushort> Word => Gen.Choose(0, 0xFFFF).Select(i => (ushort)i);

    public static Gen<bool> Bit => Gen.Elements(true, false);

    public static Gen<bool[]> Bits(int min, int max) => Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Bit, n));

    public static Gen<ushort[]> Words(int min, int max) => Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Word, n));

    public static Gen<byte[]> Bytes(int min, int max) => Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Byte, n));

    public static Gen<ModbusRequest> Request => Gen.OneOf(
        from function in Gen.Elements(ModbusFunctionCode.ReadCoils, ModbusFunctionCode.ReadDiscreteInputs)
        from address in Word
        from quantity in Gen.Choose(1, ModbusLimits.MaxReadBits)
        select (ModbusRequest)new ReadRequest(function, address, (ushort)quantity),
        from function in Gen.Elements(ModbusFunctionCode.ReadHoldingRegisters, ModbusFunctionCode.ReadInputRegisters)
        from address in Word
        from quantity in Gen.Choose(1, ModbusLimits.MaxReadRegisters)
        select (ModbusRequest)new ReadRequest(function, address, (ushort)quantity),
        from address in Word
        from value in Bit
        select (ModbusRequest)new WriteSingleCoilRequest(address, value),
        from address in Word
        from value in Word
        select (ModbusRequest)new WriteSingleRegisterRequest(address, value),
        from address in Word
        from values in Bits(1, ModbusLimits.MaxWriteBits)
        select (ModbusRequest)new WriteMultipleCoilsRequest(address, values),
        from address in Word
        from values in Words(1, ModbusLimits.MaxWriteRegisters)
        select (ModbusRequest)new WriteMultipleRegistersRequest(address, values));

    public static Gen<ModbusResponse> Response => Gen.OneOf(
        from function in Gen.Elements(ModbusFunctionCode.ReadCoils, ModbusFunctionCode.ReadDiscreteInputs)
        from bits in Bits(1, ModbusLimits.MaxReadBits)
        select (ModbusResponse)new ReadBitsResponse(function, bits),
        from function in Gen.Elements(ModbusFunctionCode.ReadHoldingRegisters, ModbusFunctionCode.ReadInputRegisters)
        from registers in Words(1, ModbusLimits.MaxReadRegisters)
        select (ModbusResponse)new ReadRegistersResponse(function, registers),
        from function in Gen.Elements(ModbusFunctionCode.WriteSingleCoil, ModbusFunctionCode.WriteSingleRegister)
        from address in Word
        from value in Word
        select (ModbusResponse)new WriteSingleResponse(function, address, value),
        from function in Gen.Elements(ModbusFunctionCode.WriteMultipleCoils, ModbusFunctionCode.WriteMultipleRegisters)
        from address in Word
        from quantity in Word
        select (ModbusResponse)new WriteMultipleResponse(function, address, quantity),
        from function in Gen.Choose(1, 0x7F)
        from code in Byte
        select (ModbusResponse)new ExceptionResponse((byte)function, (ModbusExceptionCode)code));

    /// <summary>Bytes that look like a PDU often enough to get past the first check: a supported function half the time.</summary>
    public static Gen<byte[]> PduLikeBytes =>
        from function in Gen.Frequency((1, Byte), (1, Gen.Elements<byte>(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0F, 0x10, 0x81, 0x83, 0x90)))
        from rest in Bytes(0, 260)
        select (byte[])[function, .. rest];

    /// <summary>Bytes that look like an ADU often enough to reach the length and CRC checks.</summary>
    public static Gen<byte[]> FrameLikeBytes => Gen.OneOf(
        Bytes(0, 600),
        from unit in Byte
        from pdu in PduLikeBytes
        select (byte[])[unit, .. pdu],
        from transaction in Word
        from length in Gen.Frequency((3, Gen.Choose(0, 260)), (1, Gen.Choose(0, 0xFFFF)))
        from unit in Byte
        from pdu in PduLikeBytes
        select (byte[])[(byte)(transaction >> 8), (byte)transaction, 0, 0, (byte)(length >> 8), (byte)length, unit, .. pdu]);

    public static byte[] Encode(ModbusRequest request)
    {
        var buffer = new byte[ModbusPduFormatter.MaxPduLength];
        return buffer[..ModbusPduFormatter.WriteRequest(request, buffer)];
    }

    public static byte[] Encode(ModbusResponse response)
    {
        var buffer = new byte[ModbusPduFormatter.MaxPduLength];
        return buffer[..ModbusPduFormatter.WriteResponse(response, buffer)];
    }
}
