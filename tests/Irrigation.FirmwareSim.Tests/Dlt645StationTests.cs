using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Values;
using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Stations;
using Xunit;
using static Irrigation.FirmwareSim.Tests.LoopbackSimulator;

namespace Irrigation.FirmwareSim.Tests;

/// <summary>Stations whose meter profile speaks DL/T 645: a meter per station on a port of its own, the controller still on Modbus.</summary>
public sealed class Dlt645StationTests
{
    private static SimulatorOptions Dlt645Options(int stations)
    {
        var options = Options(stations);
        options.MeterProfile = "dlt645-2007-three-phase";
        return options;
    }

    [Fact]
    public async Task StartAsync_Dlt645Meters_EachOnItsOwnPortAtItsAddress_ReadsTheStationsPhysics_ControllerStillOnModbus()
    {
        await using var sim = await StartAsync(Dlt645Options(stations: 2));

        foreach (var station in sim.Host.Stations)
        {
            var endpoint = sim.EndpointOf(station);
            Assert.NotEqual(endpoint.Endpoint!.Port, endpoint.MeterEndpoint!.Port);
            Assert.Equal(SimulatedStation.MeterAddressOf(station.Id).ToString(), endpoint.MeterAddress);
            await using var meter = Dlt645Client.CreateTcp("127.0.0.1", endpoint.MeterEndpoint.Port);
            Assert.Equal(SimulatedStation.MeterAddressOf(station.Id), await meter.ReadAddressAsync(sim.Token));
            var energy = await meter.ReadValueAsync(SimulatedStation.MeterAddressOf(station.Id), Dlt645Quantities.ForwardActiveEnergy, sim.Token);
            lock (station.Sync)
                SimulatorHostTests.AssertNear(station.Model.Meter.ForwardEnergyKWh, (double)energy, 0.02, $"{station.Id} forward_energy");

            // No Modbus meter on the station's line any more; the controller answers there as before.
            var client = sim.Connect(station);
            var controller = await sim.ReadControllerAsync(client, station);
            Assert.True(controller.ContainsKey("pump1.running"));
            var quick = sim.Connect(station, FailFast(500));
            await Assert.ThrowsAsync<Modbus.Client.ModbusTimeoutException>(() => quick.ReadHoldingRegistersAsync(station.MeterUnitId, 0, 1, sim.Token));
        }
    }

    [Fact]
    public void MeterAddressOf_StationIds_DigitsRightAlignedInTwelve()
    {
        Assert.Equal("000000000007", SimulatedStation.MeterAddressOf("st007").ToString());
        Assert.Equal("000000001234", SimulatedStation.MeterAddressOf("pump-1234").ToString());
        Assert.Equal("000000000001", SimulatedStation.MeterAddressOf("abc").ToString());
    }

    [Fact]
    public async Task StartAsync_Dlt645MeterOnASharedModbusPort_RefusedWithTheReason()
    {
        var options = Dlt645Options(stations: 2);
        options.PortMode = PortMode.Shared;

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(options));

        Assert.Contains("speaks DL/T 645", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DropFault_Dlt645Meter_FallsSilent_ThenAnswersAgain()
    {
        await using var sim = await StartAsync(Dlt645Options(stations: 1));
        var station = sim.Station();
        var address = SimulatedStation.MeterAddressOf(station.Id);
        await using var meter = Dlt645Client.CreateTcp("127.0.0.1", sim.EndpointOf(station).MeterEndpoint!.Port, new Dlt645ClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300), Retries = 0 });

        sim.Host.SetFaults(station, new StationFaults { Drop = true });
        await Assert.ThrowsAnyAsync<Dlt645Exception>(() => meter.ReadValueAsync(address, Dlt645Quantities.VoltageA, sim.Token));
        sim.Host.SetFaults(station, StationFaults.None);

        Assert.InRange(await meter.ReadValueAsync(address, Dlt645Quantities.VoltageA, sim.Token), 200m, 250m);
    }
}
