using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Stations;
using Irrigation.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Irrigation.Interop.Tests;

/// <summary>The irrigation-probe command, run as a real process against the simulator's DTSU666 meter.</summary>
public sealed class WordOrderProbeCommandTests : IAsyncLifetime
{
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(
        new SimulatorOptions { Stations = 2, BasePort = 0, ControlPort = -1, ProfilesDirectory = Path.Combine(AppContext.BaseDirectory, "profiles") },
        NullLoggerFactory.Instance);

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    private Task<(int ExitCode, string Output)> ProbeAsync(int station, params string[] extra) =>
        ProbeAtAsync(_simulator.Endpoints[station].Endpoint!.Port, extra);

    private static async Task<(int ExitCode, string Output)> ProbeAtAsync(int port, params string[] extra)
    {
        await using var probe = ManagedProcess.Start("irrigation-probe", RepoPaths.Program("src/Irrigation.Commissioning", "irrigation-probe.dll"),
            ["word-order", "--endpoint", $"127.0.0.1:{port}", .. extra]);
        await probe.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(100); // let the last output lines arrive
        return (probe.ExitCode, probe.Output);
    }

    [Fact]
    public async Task WordOrder_PhaseVoltageOfAStandardMeter_ReportsAbcd()
    {
        var (exitCode, output) = await ProbeAsync(0, "--address", "8198", "--scale", "0.1", "--min", "180", "--max", "260");

        Assert.True(exitCode == 0, output);
        Assert.Contains("word order: ABCD", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WordOrder_MeterBehindAWordSwappingServer_ReportsCdab()
    {
        _simulator.SetFaults(_simulator.Stations[1], new StationFaults { FlipWordOrder = true });
        await Task.Delay(500);

        var (exitCode, output) = await ProbeAsync(1, "--address", "8198", "--scale", "0.1", "--min", "180", "--max", "260");

        Assert.True(exitCode == 0, output);
        Assert.Contains("word order: CDAB", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WordOrder_RangeNoOrderFits_ExitsOneUndecided()
    {
        var (exitCode, output) = await ProbeAsync(0, "--address", "8198", "--scale", "0.1", "--min", "1000", "--max", "2000");

        Assert.Equal(1, exitCode);
        Assert.Contains("undecided", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WordOrder_NothingListening_ExitsThreeWithTheReason()
    {
        var (exitCode, output) = await ProbeAtAsync(FreePort.Next(), "--address", "8198", "--min", "1", "--max", "2");

        Assert.Equal(3, exitCode);
        Assert.Contains("connect failed", output, StringComparison.Ordinal);
    }
}
