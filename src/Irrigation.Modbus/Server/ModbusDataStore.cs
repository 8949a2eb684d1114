using Irrigation.Modbus.Pdu;

namespace Irrigation.Modbus.Server;

/// <summary>The four Modbus data tables (§4.3).</summary>
public enum ModbusTable
{
    Coils,
    DiscreteInputs,
    HoldingRegisters,
    InputRegisters,
}

/// <summary>
/// The data of one slave: each table is a set of blocks of consecutive addresses, as real meters expose only
/// mapped ranges. A read or write that does not fall entirely inside one block is exception 02. Thread-safe.
/// </summary>
public sealed class ModbusDataStore
{
    private readonly Lock _sync = new();
    private readonly Dictionary<ModbusTable, List<Block>> _tables = new();

    /// <summary>Makes <paramref name="length"/> addresses from <paramref name="start"/> readable and writable (zero).</summary>
    public ModbusDataStore AddBlock(ModbusTable table, ushort start, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (start + length > 0x10000)
            throw new ArgumentOutOfRangeException(nameof(length), "Block runs past address 65535.");
        lock (_sync)
        {
            if (!_tables.TryGetValue(table, out var blocks))
                _tables[table] = blocks = new List<Block>();
            blocks.Add(new Block(start, new ushort[length]));
        }

        return this;
    }

    /// <summary>Reads registers (or bits as 0/1) into <paramref name="destination"/>; false if not all mapped.</summary>
    public bool TryRead(ModbusTable table, ushort start, Span<ushort> destination)
    {
        lock (_sync)
        {
            if (!TryFind(table, start, destination.Length, out var block))
                return false;
            block.Values.AsSpan(start - block.Start, destination.Length).CopyTo(destination);
            return true;
        }
    }

    public bool TryWrite(ModbusTable table, ushort start, ReadOnlySpan<ushort> values)
    {
        lock (_sync)
        {
            if (!TryFind(table, start, values.Length, out var block))
                return false;
            values.CopyTo(block.Values.AsSpan(start - block.Start));
            return true;
        }
    }

    /// <summary>Runs <paramref name="update"/> under the store's lock so a reader never sees half an update.</summary>
    public void Update(Action<ModbusDataStore> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_sync)
            update(this);
    }

    /// <summary>Answers a read or write request from this store, with exception 02 for unmapped addresses.</summary>
    public ModbusResponse Handle(ModbusRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request)
        {
            case ReadRequest read:
                {
                    var table = read.Function switch
                    {
                        ModbusFunctionCode.ReadCoils => ModbusTable.Coils,
                        ModbusFunctionCode.ReadDiscreteInputs => ModbusTable.DiscreteInputs,
                        ModbusFunctionCode.ReadHoldingRegisters => ModbusTable.HoldingRegisters,
                        _ => ModbusTable.InputRegisters,
                    };
                    var values = new ushort[read.Quantity];
                    if (!TryRead(table, read.StartAddress, values))
                        return new ExceptionResponse((byte)read.Function, ModbusExceptionCode.IllegalDataAddress);
                    return read.ReadsBits
                        ? new ReadBitsResponse(read.Function, Array.ConvertAll(values, v => v != 0))
                        : new ReadRegistersResponse(read.Function, values);
                }
            case WriteSingleCoilRequest coil:
                return TryWrite(ModbusTable.Coils, coil.Address, [coil.Value ? (ushort)1 : (ushort)0])
                    ? new WriteSingleResponse(coil.Function, coil.Address, coil.Value ? ModbusLimits.CoilOn : ModbusLimits.CoilOff)
                    : new ExceptionResponse((byte)coil.Function, ModbusExceptionCode.IllegalDataAddress);
            case WriteSingleRegisterRequest register:
                return TryWrite(ModbusTable.HoldingRegisters, register.Address, [register.Value])
                    ? new WriteSingleResponse(register.Function, register.Address, register.Value)
                    : new ExceptionResponse((byte)register.Function, ModbusExceptionCode.IllegalDataAddress);
            case WriteMultipleCoilsRequest coils:
                return TryWrite(ModbusTable.Coils, coils.StartAddress, Array.ConvertAll(coils.Values, v => v ? (ushort)1 : (ushort)0))
                    ? new WriteMultipleResponse(coils.Function, coils.StartAddress, (ushort)coils.Values.Length)
                    : new ExceptionResponse((byte)coils.Function, ModbusExceptionCode.IllegalDataAddress);
            case WriteMultipleRegistersRequest registers:
                return TryWrite(ModbusTable.HoldingRegisters, registers.StartAddress, registers.Values)
                    ? new WriteMultipleResponse(registers.Function, registers.StartAddress, (ushort)registers.Values.Length)
                    : new ExceptionResponse((byte)registers.Function, ModbusExceptionCode.IllegalDataAddress);
            default:
                return new ExceptionResponse((byte)request.Function, ModbusExceptionCode.IllegalFunction);
        }
    }

    private bool TryFind(ModbusTable table, ushort start, int length, out Block block)
    {
        block = default;
        if (!_tables.TryGetValue(table, out var blocks))
            return false;
        foreach (var candidate in blocks)
        {
            if (start >= candidate.Start && start + length <= candidate.Start + candidate.Values.Length)
            {
                block = candidate;
                return true;
            }
        }

        return false;
    }

    private readonly record struct Block(ushort Start, ushort[] Values);
}

/// <summary>A handler serving one <see cref="ModbusDataStore"/> per unit id; unknown units get no answer.</summary>
public sealed class ModbusDataStoreHandler : IModbusRequestHandler
{
    private readonly IReadOnlyDictionary<byte, ModbusDataStore> _units;

    public ModbusDataStoreHandler(IReadOnlyDictionary<byte, ModbusDataStore> units) => _units = units;

    public ValueTask<ModbusResponse?> HandleAsync(byte unitId, ModbusRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_units.TryGetValue(unitId, out var store) ? store.Handle(request) : null);
}
