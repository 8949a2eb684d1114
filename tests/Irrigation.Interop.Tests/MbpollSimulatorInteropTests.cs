using System.Globalization;
using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Stations;
using Irrigation.Interop.Tests.Peers;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Irrigation.Interop.Tests;

/// <summary>
/// mbpoll (libmodbus) against the simulator itself: the meter's registers decode, in mbpoll's own float code, to
/// the physics' values through the DTSU666 profile's scales, and a coil written by mbpoll starts a pump.
/// </summary>
public sealed class MbpollSimulatorInteropTests : IAsyncLifetime
{
    private SimulatorHost _simulator = null!;

    private SimulatedStation Station => _simulator.Stations[0];

    private int Port => _simulator.Endpoints[0].Endpoint!.Port;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(
        new SimulatorOptions
        {
            Stations = 1,
            PumpsPerStation = 2,
            BasePort = 0,
            ControlPort = -1,
            TickInterval = TimeSpan.FromMilliseconds(50),
            ProfilesDirectory = Path.Combine(AppContext.BaseDirectory, "profiles"),
        },
        NullLoggerFactory.Instance);

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task ReadMeterFloats_Dtsu666Map_PrintsPhysicsInRawUnits()
    {
        double[] volts;
        double amps;
        lock (Station.Sync)
        {
            // Registers were refreshed from exactly this state at the end of the last tick; freeze keeps them.
            Station.Faults = new StationFaults { Freeze = true };
            var meter = Station.Model.Meter;
            volts = [meter.VoltageA, meter.VoltageB, meter.VoltageC];
            amps = meter.CurrentA;
        }

        var voltages = await Mbpoll.RunAsync(Port, ["-r", "8198", "-c", "3", "-t", "4:float", "-B"]);
        var current = await Mbpoll.RunAsync(Port, ["-r", "8204", "-c", "1", "-t", "4:float", "-B"]);

        Assert.True(voltages.ExitCode == 0, voltages.ToString());
        var printed = Mbpoll.ParseValues(voltages.StandardOutput);
        // DTSU666: phase voltage raw = V / 0.1, current raw = A / 0.001, float32; mbpoll prints %g (6 digits).
        for (var i = 0; i < 3; i++)
            Assert.Equal(G6((float)(volts[i] / 0.1)), double.Parse(printed[8198 + (2 * i)], CultureInfo.InvariantCulture));
        Assert.Equal(G6((float)(amps / 0.001)), double.Parse(Mbpoll.ParseValues(current.StandardOutput)[8204], CultureInfo.InvariantCulture));
        Assert.InRange(volts[0], 220, 240);
    }

    [Fact]
    public async Task ReadValuesTwice_Running_MeterValuesChange()
    {
        var first = Mbpoll.ParseValues((await Mbpoll.RunAsync(Port, ["-r", "8198", "-c", "3", "-t", "4:float", "-B"])).StandardOutput);
        await Task.Delay(1500);
        var second = Mbpoll.ParseValues((await Mbpoll.RunAsync(Port, ["-r", "8198", "-c", "3", "-t", "4:float", "-B"])).StandardOutput);

        Assert.Equal(3, first.Count);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task WriteStartCoil_PumpController_PumpRunsAndStatusBitFollows()
    {
        var written = await Mbpoll.RunAsync(Port, ["-a", "2", "-r", "0", "-t", "0"], "1");
        Assert.True(written.ExitCode == 0, written.ToString());

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string status;
        do
        {
            await Task.Delay(100);
            status = Mbpoll.ParseValues((await Mbpoll.RunAsync(Port, ["-a", "2", "-r", "10", "-c", "2", "-t", "4"])).StandardOutput)[10];
        }
        while (status == "0" && DateTime.UtcNow < deadline);

        lock (Station.Sync)
            Assert.True(Station.Model.Pumps[0].Running);
        Assert.Equal(1, int.Parse(status, CultureInfo.InvariantCulture) & 1); // bit 0: running
    }

    private static double G6(float value) => double.Parse(((double)value).ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
