using Irrigation.Modbus.Server;
using Irrigation.Modbus.Values;

namespace Irrigation.Interop.Tests.Peers;

/// <summary>
/// A DTSU666-like slave for third-party clients to read: phase voltages as float32 ABCD from holding 0x2006
/// (raw value in 0.1 V, as the meter sends it), a writable parameter block, input registers, coils and inputs.
/// </summary>
internal static class MeterDataStore
{
    public const byte Unit = 1;

    /// <summary>Ua, Ub, Uc: float32 ABCD at 0x2006, 0x2008, 0x200A; raw ×0.1 V.</summary>
    public const ushort PhaseVoltages = 0x2006;

    public static readonly double[] PhaseVoltagesRaw = [2301.5, 2298.0, 2310.25];

    /// <summary>A test int32, ABCD (not a DTSU666 register; for mbpoll's 32-bit integer mode).</summary>
    public const ushort Int32Register = 0x2030;

    public const int Int32Value = -123456;

    /// <summary>Holding 0x0000..0x000F: a parameter block that accepts writes (all zero at start).</summary>
    public const ushort ParameterBlock = 0x0000;

    public const int ParameterBlockLength = 16;

    /// <summary>Input registers 0..7.</summary>
    public static readonly ushort[] InputRegisters = [100, 65534, 32768, 0, 1, 2, 3, 65535];

    /// <summary>Coils 0..15 (0..7 set, 8..15 zero for writes).</summary>
    public const string Coils = "1011000100000000";

    /// <summary>Discrete inputs 0..15.</summary>
    public const string DiscreteInputs = "0110100010000001";

    public static ModbusDataStore Create()
    {
        var store = new ModbusDataStore()
            .AddBlock(ModbusTable.HoldingRegisters, ParameterBlock, ParameterBlockLength)
            .AddBlock(ModbusTable.HoldingRegisters, 0x2000, 0x40)
            .AddBlock(ModbusTable.InputRegisters, 0, InputRegisters.Length)
            .AddBlock(ModbusTable.Coils, 0, Coils.Length)
            .AddBlock(ModbusTable.DiscreteInputs, 0, DiscreteInputs.Length);

        var voltages = new ushort[PhaseVoltagesRaw.Length * 2];
        for (var i = 0; i < PhaseVoltagesRaw.Length; i++)
            RegisterCodec.Encode(PhaseVoltagesRaw[i], RegisterType.Float32, WordOrder.ABCD, voltages.AsSpan(i * 2, 2));
        var int32 = new ushort[2];
        RegisterCodec.Encode(Int32Value, RegisterType.Int32, WordOrder.ABCD, int32);

        Write(store, ModbusTable.HoldingRegisters, PhaseVoltages, voltages);
        Write(store, ModbusTable.HoldingRegisters, Int32Register, int32);
        Write(store, ModbusTable.InputRegisters, 0, InputRegisters);
        Write(store, ModbusTable.Coils, 0, BitPattern.AsRegisters(Coils));
        Write(store, ModbusTable.DiscreteInputs, 0, BitPattern.AsRegisters(DiscreteInputs));
        return store;
    }

    /// <summary>Reads <paramref name="count"/> values of a table, failing loudly if any is unmapped.</summary>
    public static ushort[] Read(ModbusDataStore store, ModbusTable table, ushort start, int count)
    {
        var values = new ushort[count];
        if (!store.TryRead(table, start, values))
            throw new InvalidOperationException($"{table} {start}..{start + count - 1} is not mapped.");
        return values;
    }

    private static void Write(ModbusDataStore store, ModbusTable table, ushort start, ReadOnlySpan<ushort> values)
    {
        if (!store.TryWrite(table, start, values))
            throw new InvalidOperationException($"{table} {start}: not mapped.");
    }
}
