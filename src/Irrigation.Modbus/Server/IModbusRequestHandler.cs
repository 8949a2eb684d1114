using Irrigation.Modbus.Pdu;

namespace Irrigation.Modbus.Server;

/// <summary>What a server does with one decoded request. The server has already answered malformed PDUs and
/// unsupported functions with exceptions 03 and 01 before a handler sees anything.</summary>
public interface IModbusRequestHandler
{
    /// <summary>
    /// Returns the response, an <see cref="ExceptionResponse"/>, or null to stay silent (no such unit on this
    /// bus, as a serial slave would). Thrown exceptions are answered with exception 04 (server device failure).
    /// </summary>
    ValueTask<ModbusResponse?> HandleAsync(byte unitId, ModbusRequest request, CancellationToken cancellationToken);
}
