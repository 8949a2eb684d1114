using System.Globalization;
using Irrigation.Interop.Tests.Peers;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Server;
using Irrigation.Modbus.Values;
using Xunit;

namespace Irrigation.Interop.Tests;

/// <summary>
/// mbpoll (Debian package mbpoll, built on libmodbus) as the client of our <see cref="ModbusTcpServer"/>, which
/// serves a DTSU666-like <see cref="MeterDataStore"/>. mbpoll's printed values are the oracle.
/// </summary>
public sealed class MbpollClientInteropTests
{
    [Fact]
    public async Task ReadFloat_BigEndianWordOrder_PrintsPhaseVoltages()
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var result = await Mbpoll.RunAsync(meter.Port, ["-r", "8198", "-c", "3", "-t", "4:float", "-B"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            new Dictionary<int, string> { [8198] = "2301.5", [8200] = "2298", [8202] = "2310.25" },
            Mbpoll.ParseValues(result.StandardOutput));
    }

    [Fact]
    public async Task ReadFloat_DefaultWordOrder_PrintsCdabDecoding()
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var registers = MeterDataStore.Read(meter.Store, ModbusTable.HoldingRegisters, MeterDataStore.PhaseVoltages, 2);
        var swapped = RegisterCodec.Decode(registers, RegisterType.Float32, WordOrder.CDAB);

        var result = await Mbpoll.RunAsync(meter.Port, ["-r", "8198", "-c", "1", "-t", "4:float"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEqual(MeterDataStore.PhaseVoltagesRaw[0], swapped);
        // mbpoll prints %g: six significant digits, correctly rounded, as .NET's G6.
        var printed = Mbpoll.ParseValues(result.StandardOutput)[8198];
        Assert.Equal(double.Parse(swapped.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), double.Parse(printed, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ReadInt32_BothWordOrders_PrintsAbcdAndCdabDecodings()
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var registers = MeterDataStore.Read(meter.Store, ModbusTable.HoldingRegisters, MeterDataStore.Int32Register, 2);

        var bigEndian = await Mbpoll.RunAsync(meter.Port, ["-r", "8240", "-t", "4:int", "-B"]);
        var littleEndian = await Mbpoll.RunAsync(meter.Port, ["-r", "8240", "-t", "4:int"]);

        Assert.Equal("-123456", Mbpoll.ParseValues(bigEndian.StandardOutput)[8240]);
        var cdab = RegisterCodec.Decode(registers, RegisterType.Int32, WordOrder.CDAB);
        Assert.Equal(cdab.ToString(CultureInfo.InvariantCulture), Mbpoll.ParseValues(littleEndian.StandardOutput)[8240]);
    }

    [Fact]
    public async Task ReadInputRegisters_Uint16_PrintsValuesAndSignedHint()
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var result = await Mbpoll.RunAsync(meter.Port, ["-r", "0", "-c", "8", "-t", "3"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var values = Mbpoll.ParseValues(result.StandardOutput);
        Assert.Equal(MeterDataStore.InputRegisters.Select(v => v.ToString(CultureInfo.InvariantCulture)), Enumerable.Range(0, 8).Select(i => values[i]));
        Assert.Contains("[1]: \t65534 (-2)", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", MeterDataStore.Coils)]
    [InlineData("1", MeterDataStore.DiscreteInputs)]
    public async Task ReadBits_CoilsAndDiscreteInputs_PrintsPattern(string table, string pattern)
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var result = await Mbpoll.RunAsync(meter.Port, ["-r", "0", "-c", "16", "-t", table]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var values = Mbpoll.ParseValues(result.StandardOutput);
        Assert.Equal(pattern, string.Concat(Enumerable.Range(0, 16).Select(i => values[i])));
    }

    [Fact]
    public async Task WriteHoldingRegisters_SingleAndMultiple_LandInStore()
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var single = await Mbpoll.RunAsync(meter.Port, ["-r", "10", "-t", "4"], "1234");
        var multiple = await Mbpoll.RunAsync(meter.Port, ["-r", "11", "-t", "4"], "1", "2", "65535");

        Assert.True(single.ExitCode == 0, single.ToString());
        Assert.Contains("Written 1 references.", single.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Written 3 references.", multiple.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(new ushort[] { 1234, 1, 2, 65535 }, MeterDataStore.Read(meter.Store, ModbusTable.HoldingRegisters, 10, 4));
    }

    [Fact]
    public async Task WriteFloat_BigEndianWordOrder_DecodesAsAbcd()
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var result = await Mbpoll.RunAsync(meter.Port, ["-r", "4", "-t", "4:float", "-B"], "230.5");

        Assert.True(result.ExitCode == 0, result.ToString());
        var registers = MeterDataStore.Read(meter.Store, ModbusTable.HoldingRegisters, 4, 2);
        Assert.Equal(new ushort[] { 0x4366, 0x8000 }, registers);
        Assert.Equal(230.5, RegisterCodec.Decode(registers, RegisterType.Float32, WordOrder.ABCD));
    }

    [Fact]
    public async Task WriteCoils_SingleAndMultiple_LandInStore()
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var single = await Mbpoll.RunAsync(meter.Port, ["-r", "9", "-t", "0"], "1");
        var multiple = await Mbpoll.RunAsync(meter.Port, ["-r", "12", "-t", "0"], "1", "0", "1");

        Assert.True(single.ExitCode == 0, single.ToString());
        Assert.True(multiple.ExitCode == 0, multiple.ToString());
        Assert.Equal(BitPattern.AsRegisters("10110001" + "01001010"), MeterDataStore.Read(meter.Store, ModbusTable.Coils, 0, 16));
    }

    [Fact]
    public async Task ReadHolding_UnmappedAddress_ReportsIllegalDataAddress()
    {
        await using var meter = new MeterServer(ModbusTcpFramer.Instance);
        var result = await Mbpoll.RunAsync(meter.Port, ["-r", "12288", "-t", "4"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Illegal data address", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(Mbpoll.ParseValues(result.StandardOutput));
    }
}
