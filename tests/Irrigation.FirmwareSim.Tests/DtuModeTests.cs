using System.Net;
using System.Net.Sockets;
using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Stations;
using Irrigation.Links;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Framing;
using Xunit;
using static Irrigation.FirmwareSim.Tests.LoopbackSimulator;

namespace Irrigation.FirmwareSim.Tests;

/// <summary>The test plays the platform: it listens, the simulated DTUs connect in, register, and answer RTU.</summary>
public sealed class DtuModeTests
{
    [Fact]
    public async Task StartAsync_DtuMode_EachStationRegistersAndAnswersRtuOnItsOwnSocket()
    {
        using var platform = Listen();
        await using var sim = await StartAsync(DtuOptions(platform, stations: 2));
        var links = new Dictionary<string, NetworkStream>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var (stream, registration) = await AcceptAsync(platform, sim.Token);
                links[registration] = stream;
            }

            Assert.Equal(["REG:st001\r\n", "REG:st002\r\n"], links.Keys.Order(StringComparer.Ordinal));
            Assert.All(sim.Host.Endpoints, e => Assert.Null(e.Endpoint));
            foreach (var station in sim.Host.Stations)
            {
                await using var client = OverSocket(links[$"REG:{station.Id}\r\n"], station.Id);
                var meter = await sim.ReadMeterAsync(client, station);
                var controller = await sim.ReadControllerAsync(client, station);

                // Each station's energy register starts from its own seeded value: the answer came from that station.
                lock (station.Sync)
                {
                    SimulatorHostTests.AssertNear(station.Model.Meter.ForwardEnergyKWh, meter["forward_energy"], 0.02, $"{station.Id} forward_energy");
                    SimulatorHostTests.AssertNear(station.Model.FlowTotalM3, controller["flow_total"], 0.06, $"{station.Id} flow_total");
                }
            }
        }
        finally
        {
            foreach (var stream in links.Values)
                await stream.DisposeAsync();
        }
    }

    [Fact]
    public async Task RunAsync_PlatformClosesLink_DtuReconnectsAndRegistersAgain()
    {
        using var platform = Listen();
        await using var sim = await StartAsync(DtuOptions(platform, stations: 1));
        var station = sim.Station();

        var (first, registration) = await AcceptAsync(platform, sim.Token);
        Assert.Equal("REG:st001\r\n", registration);
        await using (var client = OverSocket(first, station.Id))
            await sim.ReadMeterAsync(client, station); // disposing the client closes the socket

        var (second, again) = await AcceptAsync(platform, sim.Token);
        await using (second)
        {
            Assert.Equal("REG:st001\r\n", again);
            await using var client = OverSocket(second, station.Id);
            var meter = await sim.ReadMeterAsync(client, station);
            Assert.InRange(meter["voltage_a"], 200, 260);
        }
    }

    [Fact]
    public async Task RunAsync_IdleLink_SendsHeartbeat()
    {
        using var platform = Listen();
        var options = DtuOptions(platform, stations: 1);
        options.Dtu.HeartbeatInterval = TimeSpan.FromSeconds(1);
        await using var sim = await StartAsync(options);

        var (stream, registration) = await AcceptAsync(platform, sim.Token);
        await using (stream)
        {
            Assert.Equal("REG:st001\r\n", registration);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(sim.Token);
            deadline.CancelAfter(TimeSpan.FromSeconds(3));
            Assert.Equal("HB\r\n", await ReadLineAsync(stream, deadline.Token));
        }
    }

    [Fact]
    public async Task RunAsync_DropFault_ClosesLinkAndStaysAwayUntilCleared()
    {
        using var platform = Listen();
        await using var sim = await StartAsync(DtuOptions(platform, stations: 1));
        var station = sim.Station();
        var (first, _) = await AcceptAsync(platform, sim.Token);
        await using (first)
        {
            sim.Host.SetFaults(station, StationFaults.Parse("drop"));

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(sim.Token);
            deadline.CancelAfter(Deadline);
            Assert.True(await HungUpAsync(first, deadline.Token), "the DTU closed its link");
        }

        using (var early = CancellationTokenSource.CreateLinkedTokenSource(sim.Token))
        {
            early.CancelAfter(TimeSpan.FromSeconds(1.2));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await platform.AcceptSocketAsync(early.Token));
        }

        sim.Host.SetFaults(station, StationFaults.None);
        var (second, registration) = await AcceptAsync(platform, sim.Token);
        await using (second)
            Assert.Equal("REG:st001\r\n", registration);
    }

    /// <summary>True once the peer closed the connection, gracefully (FIN) or not (RST: it aborts a pending read).</summary>
    private static async Task<bool> HungUpAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAsync(new byte[16], cancellationToken) == 0;
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return true;
        }
    }

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static SimulatorOptions DtuOptions(TcpListener platform, int stations)
    {
        var options = Options(stations);
        options.DtuEndpoint = platform.LocalEndpoint.ToString();
        return options;
    }

    /// <summary>Accepts the next DTU and reads its registration line, within the deadline.</summary>
    private static async Task<(NetworkStream Stream, string Registration)> AcceptAsync(TcpListener platform, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        var socket = await platform.AcceptSocketAsync(deadline.Token);
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            return (stream, await ReadLineAsync(stream, deadline.Token));
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>A master on the DTU's connection: the only way to reach it, so a lost link is not reopened.</summary>
    private static ModbusClient OverSocket(NetworkStream stream, string stationId)
    {
        var handedOut = 0;
        var connector = new DelegateStreamConnector($"dtu {stationId}", _ => Interlocked.Exchange(ref handedOut, 1) == 0
            ? ValueTask.FromResult<Stream>(stream)
            : ValueTask.FromException<Stream>(new IOException($"DTU {stationId} link is gone.")));
        return new ModbusClient(ModbusRtuFramer.Instance, connector, Patient());
    }
}
