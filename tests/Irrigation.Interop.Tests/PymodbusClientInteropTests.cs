using System.Globalization;
using System.Text.Json;
using Irrigation.Interop.Tests.Peers;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Server;
using Irrigation.Modbus.Values;
using Xunit;

namespace Irrigation.Interop.Tests;

/// <summary>
/// pymodbus 3.0 (Debian python3-pymodbus) as the client of our <see cref="ModbusTcpServer"/>, over Modbus TCP
/// and RTU-over-TCP. peers/pymodbus_client.py runs a fixed sequence and prints JSON of what it saw.
/// </summary>
public sealed class PymodbusClientInteropTests
{
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("socket")]
    [InlineData("rtu")]
    public async Task FixedSequence_AgainstMeterServer_ReadsAndWritesExactly(string framing)
    {
        await DebianPeers.RequirePymodbusAsync();
        IModbusFramer framer = framing == "socket" ? ModbusTcpFramer.Instance : ModbusRtuFramer.Instance;
        await using var meter = new MeterServer(framer);
        var meterRegisters = MeterDataStore.Read(meter.Store, ModbusTable.HoldingRegisters, MeterDataStore.PhaseVoltages, 4);

        var result = await PeerCommand.RunAsync(
            DebianPeers.Python,
            [DebianPeers.Script("pymodbus_client.py"), framing, meter.Port.ToString(CultureInfo.InvariantCulture)],
            ClientTimeout);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var report = json.RootElement;
        Assert.Equal(meterRegisters, Registers(report, "meter_registers"));
        Assert.Equal(MeterDataStore.PhaseVoltagesRaw[..2], Doubles(report, "meter_abcd"));
        Assert.Equal(
            [RegisterCodec.Decode(meterRegisters.AsSpan(0, 2), RegisterType.Float32, WordOrder.CDAB), RegisterCodec.Decode(meterRegisters.AsSpan(2, 2), RegisterType.Float32, WordOrder.CDAB)],
            Doubles(report, "meter_cdab"));
        Assert.Equal(MeterDataStore.InputRegisters[..4], Registers(report, "input_registers"));
        Assert.Equal(BitPattern.Parse(MeterDataStore.Coils[..8]), Bools(report, "coils"));
        Assert.Equal(BitPattern.Parse(MeterDataStore.DiscreteInputs[..8]), Bools(report, "discrete_inputs"));

        // Writes: register 0x000A = 777, 0x000B.. = 1, 2, 65535; coil 5 on, coils 8.. = on, off, on.
        var holdingAfter = new ushort[] { 777, 1, 2, 65535 };
        var coilsAfter = BitPattern.Parse("10110101" + "10100000");
        Assert.Equal(holdingAfter, Registers(report, "holding_after"));
        Assert.Equal(coilsAfter, Bools(report, "coils_after"));
        Assert.Equal(holdingAfter, MeterDataStore.Read(meter.Store, ModbusTable.HoldingRegisters, 0x000A, 4));
        Assert.Equal(BitPattern.AsRegisters("10110101" + "10100000"), MeterDataStore.Read(meter.Store, ModbusTable.Coils, 0, 16));

        Assert.Equal((int)ModbusExceptionCode.IllegalDataAddress, report.GetProperty("unmapped_exception").GetInt32());
    }

    private static ushort[] Registers(JsonElement report, string name) =>
        report.GetProperty(name).EnumerateArray().Select(e => e.GetUInt16()).ToArray();

    private static double[] Doubles(JsonElement report, string name) =>
        report.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static bool[] Bools(JsonElement report, string name) =>
        report.GetProperty(name).EnumerateArray().Select(e => e.GetBoolean()).ToArray();
}
