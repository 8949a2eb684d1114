using System.Net;
using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Server;
using Irrigation.Dlt645.Values;
using Irrigation.FirmwareSim.Dlt645;
using Irrigation.FirmwareSim.Physics;
using Xunit;

namespace Irrigation.FirmwareSim.Tests;

public sealed class Dlt645MeterImageTests
{
    private static readonly Dlt645Address Address = Dlt645Address.Parse("000012345678");

    private static MeterReading Running(double powerW = 18_500, double energyKWh = 1234.567) => new(
        231.04, 229.96, 230.55, 399.2, 398.9, 400.1,
        30.1234, 29.9876, 30.5, 6100, 6200, 6200, powerW,
        9000, 0.8567, 50.014, energyKWh);

    [Fact]
    public async Task Publish_RunningStation_ClientReadsThePhysicsOverLoopback()
    {
        var meter = new Dlt645MeterDataStore(Address);
        Dlt645MeterImage.Publish(Running(), meter);
        await using var server = new Dlt645MeterServer(new IPEndPoint(IPAddress.Loopback, 0), meter);
        server.Start();
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", server.LocalEndPoint.Port);

        Assert.Equal(Address, await client.ReadAddressAsync());
        Assert.Equal([231.0m, 230.0m, 230.6m], await client.ReadValuesAsync(Address, Dlt645Quantities.Voltages));
        Assert.Equal([30.123m, 29.988m, 30.500m], await client.ReadValuesAsync(Address, Dlt645Quantities.Currents));
        Assert.Equal(18.5m, await client.ReadValueAsync(Address, Dlt645Quantities.ActivePower));
        Assert.Equal(0.857m, await client.ReadValueAsync(Address, Dlt645Quantities.PowerFactorTotal));
        Assert.Equal(50.01m, await client.ReadValueAsync(Address, Dlt645Quantities.GridFrequency));
        Assert.Equal(1234.56m, await client.ReadValueAsync(Address, Dlt645Quantities.ForwardActiveEnergy));
        Assert.Equal(1234.56m, await client.ReadValueAsync(Address, Dlt645Quantities.CombinedActiveEnergy));
    }

    [Fact]
    public async Task Publish_BeyondTheFormats_ClampsPowerAndRollsEnergyOver()
    {
        var meter = new Dlt645MeterDataStore(Address);
        Dlt645MeterImage.Publish(Running(powerW: 250_000, energyKWh: 1_000_012.349), meter);
        await using var server = new Dlt645MeterServer(new IPEndPoint(IPAddress.Loopback, 0), meter);
        server.Start();
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", server.LocalEndPoint.Port);

        Assert.Equal(79.9999m, await client.ReadValueAsync(Address, Dlt645Quantities.ActivePower));
        Assert.Equal(12.34m, await client.ReadValueAsync(Address, Dlt645Quantities.ForwardActiveEnergy));
    }
}
