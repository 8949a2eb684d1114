using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Benchmarks.Orchestration;

/// <summary>
/// The gateway benchmark: one gateway polling N simulated stations (2 pumps, meter + controller) at 1 Hz through
/// the simulator's Modbus servers, publishing to mosquitto; its poll rate, CPU and memory, and the simulator's.
/// </summary>
internal sealed partial class GatewayBenchmark(int stations, int seconds, int basePort, string runDirectory, string resultsDirectory)
{
    private static void Log(string message) => Console.Error.WriteLine($"[bench] {message}");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var dir = Path.GetFullPath(runDirectory);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(resultsDirectory);
        await using var broker = await MosquittoBroker.StartAsync();
        var config = Path.Combine(dir, "gateway.json");
        await using var simulator = ManagedProcess.Start("firmware-sim", RepoPaths.FirmwareSim,
        [
            "--stations", F(stations), "--pumps", "2", "--base-port", F(basePort), "--control-port", "-1",
            "--emit-gateway-config", config, "--gateway-mqtt", $"127.0.0.1:{broker.Port}", "--gateway-data", Path.Combine(dir, "data"),
        ], Path.Combine(dir, "sim.log"));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.Exists(config))
        {
            if (DateTime.UtcNow > until || simulator.HasExited)
                throw new InvalidOperationException($"the simulator wrote no gateway configuration:\n{simulator.Tail()}");
            await Task.Delay(200, cancellationToken);
        }

        // The simulator may still be writing the file: read it until it parses.
        JsonObject? json = null;
        for (var attempt = 0; json is null; attempt++)
        {
            try
            {
                json = JsonNode.Parse(await File.ReadAllTextAsync(config, cancellationToken))!.AsObject();
            }
            catch (System.Text.Json.JsonException) when (attempt < 50)
            {
                await Task.Delay(200, cancellationToken);
            }
        }

        json["statsInterval"] = "00:00:10"; // the gateway's own poll counter, every 10 s
        await File.WriteAllTextAsync(config, json.ToJsonString(), cancellationToken);
        await using var gateway = await GatewayProcess.StartAsync(config, Path.Combine(dir, "gateway.log"));

        Log("warming up 15 s");
        await Task.Delay(TimeSpan.FromSeconds(15), cancellationToken);
        var linesBefore = gateway.Lines.Count;
        double gw0 = ProcessCpu.Seconds(gateway.Id), sim0 = ProcessCpu.Seconds(simulator.Id);
        var t0 = Stopwatch.GetTimestamp();
        Log($"measuring {seconds} s");
        var messages = await CountTelemetryAsync(broker.Port, TimeSpan.FromSeconds(seconds), cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        double gw1 = ProcessCpu.Seconds(gateway.Id), sim1 = ProcessCpu.Seconds(simulator.Id);

        // Poll rate from the gateway's own counter: first and last stats line (10 s apart each) in the window.
        var polls = gateway.Lines.Skip(linesBefore).Select(l => Polls().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        var pollRate = polls.Count > 1 ? (polls[^1] - polls[0]) / (10.0 * (polls.Count - 1)) : 0;
        var failures = gateway.Lines.Select(l => Failed().Match(l)).LastOrDefault(m => m.Success)?.Groups[1].Value ?? "0";

        var inv = CultureInfo.InvariantCulture;
        var report = new StringBuilder();
        void Line(FormattableString line) => report.Append(line.ToString(inv)).Append('\n');
        Line($"# Gateway benchmark — {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, {Environment.ProcessorCount} cores");
        Line($"");
        Line($"| measure | value |");
        Line($"| --- | --- |");
        Line($"| simulated stations (2 pumps, DTSU666 + controller, 3 Modbus requests per poll) | {stations} |");
        Line($"| poll interval | 1 s |");
        Line($"| achieved polls/s (gateway counter) | {pollRate:0} |");
        Line($"| failed polls (total) | {failures} |");
        Line($"| telemetry published, msg/s (counted by a subscriber) | {messages / elapsed:0} |");
        Line($"| gateway CPU, cores | {(gw1 - gw0) / elapsed:0.00} |");
        Line($"| gateway peak RSS | {BenchProcesses.PeakRssMb(gateway.Id)} MB |");
        Line($"| firmware-sim CPU, cores | {(sim1 - sim0) / elapsed:0.00} |");
        Line($"| firmware-sim peak RSS | {BenchProcesses.PeakRssMb(simulator.Id)} MB |");
        var path = Path.Combine(resultsDirectory, $"gateway-{stations}.md");
        await File.WriteAllTextAsync(path, report.ToString(), cancellationToken);
        Console.Write(report);
        Log($"report: {path}; logs: {dir}");
        return 0;
    }

    /// <summary>Telemetry messages the broker delivers to a QoS 1 subscriber in <paramref name="duration"/>.</summary>
    private static async Task<long> CountTelemetryAsync(int port, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var client = new ReconnectingMqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = port,
            ClientId = $"bench-count-{Guid.NewGuid():N}"[..24],
            InboundCapacity = 60_000,
        }, NullLogger.Instance);
        await client.ConnectAsync(cancellationToken);
        await client.SubscribeAsync([new MqttTopicFilter(Topics.AllTelemetry("irrigation"), MqttQualityOfService.AtLeastOnce)], cancellationToken);
        long count = 0;
        using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        window.CancelAfter(duration);
        try
        {
            await foreach (var _ in client.Messages.ReadAllAsync(window.Token))
                count++;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the measuring window ended
        }

        return count;
    }

    private static string F(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"polls (\d+)")]
    private static partial Regex Polls();

    [GeneratedRegex(@"failed (\d+)")]
    private static partial Regex Failed();
}
