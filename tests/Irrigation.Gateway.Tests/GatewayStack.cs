using System.Text.Json.Nodes;
using Irrigation.Testing;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// The real station side on loopback: mosquitto, the firmware-sim program and the irrigation-gateway program,
/// each a real process, plus a collector subscribed to everything.
/// </summary>
public sealed class GatewayStack : IAsyncDisposable
{
    private GatewayStack(string directory, MosquittoBroker broker, SimulatorProcess simulator, TelemetryCollector collector)
    {
        Directory = directory;
        Broker = broker;
        Simulator = simulator;
        Collector = collector;
    }

    public string Directory { get; }

    public MosquittoBroker Broker { get; }

    public SimulatorProcess Simulator { get; }

    public TelemetryCollector Collector { get; }

    public ManagedProcess? Gateway { get; private set; }

    public string ConfigPath => Simulator.GatewayConfig!;

    /// <summary>Starts the stack; <paramref name="simulatorArguments"/> are passed on to firmware-sim (e.g. DTU mode).</summary>
    public static async Task<GatewayStack> StartAsync(string name, int stations, Action<JsonObject>? configure = null, IEnumerable<string>? simulatorArguments = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"irrigation-{name}-{Guid.NewGuid():N}"[..40]);
        var broker = await MosquittoBroker.StartAsync();
        SimulatorProcess simulator;
        TelemetryCollector collector;
        try
        {
            simulator = await SimulatorProcess.StartAsync(directory, stations, broker.Port, simulatorArguments);
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }

        try
        {
            collector = await TelemetryCollector.StartAsync(broker.Port, $"collector-{name}");
        }
        catch
        {
            await simulator.DisposeAsync();
            await broker.DisposeAsync();
            throw;
        }

        // From here the stack owns every process: a failed start stops them all.
        var stack = new GatewayStack(directory, broker, simulator, collector);
        try
        {
            var config = JsonNode.Parse(File.ReadAllText(stack.ConfigPath))!.AsObject();
            config["commands"] = new JsonObject { ["feedbackTimeout"] = "00:00:03", ["minTimeBetweenStarts"] = "00:00:00" };
            config["publishing"] = new JsonObject { ["snapshotInterval"] = "00:00:05" };
            configure?.Invoke(config);
            File.WriteAllText(stack.ConfigPath, config.ToJsonString());
            await stack.StartGatewayAsync();
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }

        return stack;
    }

    public async Task StartGatewayAsync()
    {
        Gateway = await GatewayProcess.StartAsync(ConfigPath, Path.Combine(Directory, "gateway.log"));
    }

    public static string CommandJson(string id, string action, int pump, DateTimeOffset expiresAt, string requestedBy = "e2e-test") =>
        new JsonObject { ["id"] = id, ["action"] = action, ["pump"] = pump, ["requestedBy"] = requestedBy, ["expiresAt"] = expiresAt.ToUnixTimeMilliseconds() }.ToJsonString();

    /// <summary>Sends a command and waits for its result.</summary>
    public async Task<JsonObject> CommandAsync(string station, string action, int pump, TimeSpan? lifetime = null, string? id = null)
    {
        id ??= Guid.NewGuid().ToString("N");
        await Collector.PublishAsync($"irrigation/{station}/cmd", CommandJson(id, action, pump, DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromSeconds(30))));
        var result = await Collector.WaitForAsync($"irrigation/{station}/cmd/result", j => (string?)j["id"] == id, TimeSpan.FromSeconds(30));
        return result.Json;
    }

    private void DeleteDirectory()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A log still held by an exiting process; the OS cleans the temp directory later.
        }
    }

    /// <summary>Stops everything, each part even if another fails, so no process outlives the test.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Gateway is not null)
                await Gateway.DisposeAsync();
            await Collector.DisposeAsync();
        }
        finally
        {
            try
            {
                await Simulator.DisposeAsync();
            }
            finally
            {
                await Broker.DisposeAsync();
                DeleteDirectory();
            }
        }
    }
}
