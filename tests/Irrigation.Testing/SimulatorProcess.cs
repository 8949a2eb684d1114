using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Irrigation.Testing;

/// <summary>The real firmware-sim program, started for a test, with its HTTP control endpoint.</summary>
public sealed class SimulatorProcess : IAsyncDisposable
{
    private readonly ManagedProcess _process;

    private SimulatorProcess(ManagedProcess process, int controlPort, string? gatewayConfig)
    {
        _process = process;
        ControlPort = controlPort;
        GatewayConfig = gatewayConfig;
        Control = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{controlPort}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int ControlPort { get; }

    /// <summary>The gateway configuration the simulator wrote for its stations, if asked to.</summary>
    public string? GatewayConfig { get; }

    public HttpClient Control { get; }

    public ManagedProcess Process => _process;

    /// <summary>Starts N stations on OS-picked ports; optionally writes a gateway config pointing at <paramref name="mqttPort"/>.</summary>
    public static async Task<SimulatorProcess> StartAsync(string workDirectory, int stations, int mqttPort, IEnumerable<string>? extraArguments = null, bool writeGatewayConfig = true)
    {
        Directory.CreateDirectory(workDirectory);
        var controlPort = FreePort.Next();
        var config = writeGatewayConfig ? Path.Combine(workDirectory, "gateway.json") : null;
        var args = new List<string> { "--stations", stations.ToString(System.Globalization.CultureInfo.InvariantCulture), "--base-port", "0", "--control-port", controlPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tick-ms", "100" };
        if (config is not null)
            args.AddRange(["--emit-gateway-config", config, "--gateway-mqtt", $"127.0.0.1:{mqttPort}", "--gateway-data", Path.Combine(workDirectory, "gateway-data")]);
        args.AddRange(extraArguments ?? []);
        var process = ManagedProcess.Start("firmware-sim", RepoPaths.FirmwareSim, args, Path.Combine(workDirectory, "firmware-sim.log"));
        try
        {
            await process.WaitForLineAsync(l => l.Contains("station(s) ready", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            await FreePort.WaitUntilOpenAsync(controlPort, TimeSpan.FromSeconds(20), "firmware-sim control endpoint");
        }
        catch
        {
            await process.DisposeAsync(); // never leave a half-started simulator behind a failed test
            throw;
        }

        return new SimulatorProcess(process, controlPort, config);
    }

    public async Task<JsonObject> StationAsync(string id) =>
        (await Control.GetFromJsonAsync<JsonObject>($"stations/{id}"))!;

    public async Task SetFaultsAsync(string id, object faults)
    {
        using var response = await Control.PostAsJsonAsync($"stations/{id}/faults", faults);
        response.EnsureSuccessStatusCode();
    }

    public async Task ClearFaultsAsync(string id)
    {
        using var response = await Control.DeleteAsync($"stations/{id}/faults");
        response.EnsureSuccessStatusCode();
    }

    public async Task SetPhysicsAsync(string id, object physics)
    {
        using var response = await Control.PostAsJsonAsync($"stations/{id}/physics", physics);
        response.EnsureSuccessStatusCode();
    }

    public async Task<string> PumpActionAsync(string id, int pump, string action)
    {
        using var response = await Control.PostAsync($"stations/{id}/pumps/{pump}/{action}", null);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public async Task<bool> PumpRunningAsync(string id, int pump)
    {
        var station = await StationAsync(id);
        return station["pumps"]![pump - 1]!["running"]!.GetValue<bool>();
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public async ValueTask DisposeAsync()
    {
        Control.Dispose();
        await _process.DisposeAsync();
    }
}
