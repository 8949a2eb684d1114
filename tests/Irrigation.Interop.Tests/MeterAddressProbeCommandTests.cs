using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Stations;
using Irrigation.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Irrigation.Interop.Tests;

/// <summary>The irrigation-probe meter-address command, run as a real process against the simulator's DL/T 645 meters.</summary>
public sealed class MeterAddressProbeCommandTests : IAsyncLifetime
{
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(
        new SimulatorOptions { Stations = 2, BasePort = 0, ControlPort = -1, MeterProfile = "dlt645-2007-three-phase", ProfilesDirectory = Path.Combine(AppContext.BaseDirectory, "profiles") },
        NullLoggerFactory.Instance);

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    private static async Task<(int ExitCode, string Output)> ProbeAtAsync(int port)
    {
        await using var probe = ManagedProcess.Start("irrigation-probe", RepoPaths.Program("src/Irrigation.Commissioning", "irrigation-probe.dll"),
            ["meter-address", "--endpoint", $"127.0.0.1:{port}", "--timeout-ms", "1000"]);
        await probe.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(100); // let the last output lines arrive
        return (probe.ExitCode, probe.Output);
    }

    [Fact]
    public async Task MeterAddress_SecondStationsMeter_BroadcastReadGivesItsAddress_ConfirmedByReadingIt()
    {
        var (exitCode, output) = await ProbeAtAsync(_simulator.Endpoints[1].MeterEndpoint!.Port);

        Assert.True(exitCode == 0, output);
        Assert.Contains("meter address: 000000000002", output, StringComparison.Ordinal);
        Assert.Matches(@"confirmed: phase A voltage 2\d\d\.\d V, forward active energy \d+\.\d\d kWh \(read at 000000000002\)", output);
        Assert.Contains("\"address\": \"000000000002\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MeterAddress_SilentMeter_ExitsThreeWithTheReason()
    {
        _simulator.SetFaults(_simulator.Stations[0], new StationFaults { Drop = true });

        var (exitCode, output) = await ProbeAtAsync(_simulator.Endpoints[0].MeterEndpoint!.Port);

        Assert.Equal(3, exitCode);
        Assert.Contains("no reply", output, StringComparison.Ordinal);
    }
}
