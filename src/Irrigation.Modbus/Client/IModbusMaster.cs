using Irrigation.Modbus.Pdu;

namespace Irrigation.Modbus.Client;

/// <summary>A Modbus master (client), shaped like NModbus's <c>IModbusMaster</c> with async methods only.</summary>
public interface IModbusMaster : IAsyncDisposable
{
    Task<bool[]> ReadCoilsAsync(byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken = default);

    Task<bool[]> ReadInputsAsync(byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken = default);

    Task<ushort[]> ReadHoldingRegistersAsync(byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken = default);

    Task<ushort[]> ReadInputRegistersAsync(byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken = default);

    Task WriteSingleCoilAsync(byte unitId, ushort address, bool value, CancellationToken cancellationToken = default);

    Task WriteSingleRegisterAsync(byte unitId, ushort address, ushort value, CancellationToken cancellationToken = default);

    Task WriteMultipleCoilsAsync(byte unitId, ushort startAddress, bool[] values, CancellationToken cancellationToken = default);

    Task WriteMultipleRegistersAsync(byte unitId, ushort startAddress, ushort[] values, CancellationToken cancellationToken = default);

    /// <summary>Sends any request; an exception response is thrown as <see cref="ModbusSlaveException"/>.</summary>
    Task<ModbusResponse> SendAsync(byte unitId, ModbusRequest request, CancellationToken cancellationToken = default);
}
