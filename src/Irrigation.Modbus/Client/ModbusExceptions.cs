using Irrigation.Modbus.Pdu;

namespace Irrigation.Modbus.Client;

/// <summary>Base of every failure a <see cref="ModbusClient"/> reports.</summary>
public class ModbusException : Exception
{
    public ModbusException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The slave answered with an exception response (§7). Not retried: asking again gets the same answer.</summary>
public sealed class ModbusSlaveException : ModbusException
{
    public ModbusSlaveException(byte unitId, byte functionCode, ModbusExceptionCode code)
        : base($"Unit {unitId} answered function 0x{functionCode:X2} with exception {(byte)code:X2} ({code}).")
    {
        UnitId = unitId;
        FunctionCode = functionCode;
        Code = code;
    }

    public byte UnitId { get; }

    public byte FunctionCode { get; }

    public ModbusExceptionCode Code { get; }
}

/// <summary>No valid response within the request timeout, after every retry.</summary>
public sealed class ModbusTimeoutException : ModbusException
{
    public ModbusTimeoutException(string message)
        : base(message)
    {
    }
}

/// <summary>The link could not be opened or was lost, or the client is backing off after repeated failures.</summary>
public sealed class ModbusConnectionException : ModbusException
{
    public ModbusConnectionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
