using System.Net;
using Irrigation.Devices.Tests.TestSupport;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Server;

namespace Irrigation.Devices.Tests;

/// <summary>End to end: a real Modbus TCP server on 127.0.0.1 (port 0) holding a meter's registers.</summary>
public sealed partial class DeviceReaderTests
{
    private const byte MeterUnit = 1;

    private static readonly Dictionary<string, double> Dtsu666Values = new()
    {
        ["voltage_ab"] = 400.1, ["voltage_bc"] = 399.8, ["voltage_ca"] = 401.2,
        ["voltage_a"] = 230.5, ["voltage_b"] = 231.1, ["voltage_c"] = 229.7,
        ["current_a"] = 12.345, ["current_b"] = 11.987, ["current_c"] = 12.001,
        ["active_power"] = 8123.4, ["power_factor"] = 0.93, ["frequency"] = 50.01,
        ["forward_energy"] = 12345.67,
    };

    [Theory]
    [InlineData("holding", "ABCD")]
    [InlineData("input", "CDAB")]
    [InlineData("holding", "DCBA")]
    public async Task ReadAsync_Dtsu666OverModbusTcp_ReturnsTheMetersValuesInTwoRequests(string readFunction, string wordOrder)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, $"readFunction={readFunction}", $"wordOrder={wordOrder}"), 0);
        var table = readFunction == "input" ? ModbusTable.InputRegisters : ModbusTable.HoldingRegisters;
        // The meter's mapped ranges; anything else is exception 02, as on the real meter.
        var store = new ModbusDataStore().AddBlock(table, 0x2000, 0x50).AddBlock(table, 0x4000, 0x40);
        foreach (var q in reader.Quantities)
        {
            var registers = new ushort[q.Definition.Width];
            QuantityCodec.Encode(q.Definition, Dtsu666Values[q.Key], registers);
            Assert.True(store.TryWrite(table, q.Definition.Address, registers), q.Key);
        }

        await using var server = new ModbusTcpServer(
            new IPEndPoint(IPAddress.Loopback, 0), ModbusTcpFramer.Instance, new ModbusDataStoreHandler(new Dictionary<byte, ModbusDataStore> { [MeterUnit] = store }));
        server.Start();
        await using var client = ModbusClient.CreateTcp("127.0.0.1", server.LocalEndPoint.Port, new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(3) });
        var requestsBefore = server.Counters.Requests;

        var values = await reader.ReadAsync(client, MeterUnit, timeout.Token);

        Assert.Equal(2, server.Counters.Requests - requestsBefore);
        Assert.Equal(0, server.Counters.TotalErrors);
        Assert.Equal(Dtsu666Values.Keys.Order(StringComparer.Ordinal), values.Select(v => v.Key).Order(StringComparer.Ordinal));
        foreach (var value in values)
        {
            var expected = Dtsu666Values[value.Key];
            Assert.Equal(expected, value.Value, Math.Abs(expected) * 1e-6);
        }
    }

    [Fact]
    public async Task ReadAsync_PumpControllerOverModbusTcp_ReturnsEachPumpsBits()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.PumpController), 3);
        var image = new RegisterImage()
            .Encode(reader.Quantity("remote_mode"), 1)
            .Encode(reader.Quantity("sump_level"), 2.37)
            .Encode(reader.Quantity("pump1.running"), 1)
            .Encode(reader.Quantity("pump1.motor_current"), 45.6)
            .Encode(reader.Quantity("pump3.fault"), 1)
            .Encode(reader.Quantity("pump3.fault_phase_loss"), 1)
            .Encode(reader.Quantity("pump3.run_hours"), 1234.56);
        var store = new ModbusDataStore().AddBlock(ModbusTable.HoldingRegisters, 0, 50);
        Assert.True(store.TryWrite(ModbusTable.HoldingRegisters, 0, image[RegisterFunction.Holding].AsSpan(0, 50)));
        await using var server = new ModbusTcpServer(
            new IPEndPoint(IPAddress.Loopback, 0), ModbusTcpFramer.Instance, new ModbusDataStoreHandler(new Dictionary<byte, ModbusDataStore> { [2] = store }));
        server.Start();
        await using var client = ModbusClient.CreateTcp("127.0.0.1", server.LocalEndPoint.Port, new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(3) });

        var values = await reader.ReadAsync(client, reader.Profile.Profile.DefaultUnitId, timeout.Token);

        Assert.Equal(1, server.Counters.Requests);
        Assert.Equal(1, values.ValueOf("remote_mode"));
        Assert.Equal(0, values.ValueOf("mains_present"));
        Assert.Equal(2.37, values.ValueOf("sump_level"), 9);
        Assert.Equal(1, values.ValueOf("pump1.running"));
        Assert.Equal(45.6, values.ValueOf("pump1.motor_current"), 9);
        Assert.Equal(0, values.ValueOf("pump2.running"));
        Assert.Equal(0, values.ValueOf("pump3.running"));
        Assert.Equal(1, values.ValueOf("pump3.fault"));
        Assert.Equal(0, values.ValueOf("pump3.fault_overcurrent"));
        Assert.Equal(1, values.ValueOf("pump3.fault_phase_loss"));
        Assert.Equal(1234.56, values.ValueOf("pump3.run_hours"), 6);
    }
}
