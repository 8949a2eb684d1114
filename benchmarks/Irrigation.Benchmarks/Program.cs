using System.CommandLine;
using System.Globalization;
using BenchmarkDotNet.Running;
using Irrigation.Benchmarks;
using Microsoft.Extensions.Logging;

// Irrigation.Benchmarks: BenchmarkDotNet micro-benchmarks (any BenchmarkDotNet arguments, e.g. --filter '*Decode*'),
// the probes bench.sh ingest runs: influx-ceiling, mqtt-ceiling, freshness (each prints one line "<probe>: key=value ..."
// for the script to read), and the MQTT load generator (mqtt-load) the ingestion benchmark and the server tests drive.

string[] probes = ["influx-ceiling", "mqtt-ceiling", "freshness", "mqtt-load", "ingest", "gateway", "cluster"];
if (args.Length == 0 || !probes.Contains(args[0]))
{
    // In-process (--inProcess) unless told otherwise: the benchmarks run inside this build, so no project is generated
    // under the repository's Directory.Build.props (warnings as errors, analyzers) and nothing is compiled while measuring.
    string[] benchmarkArgs = args.Contains("--inProcess") || args.Contains("-i") ? args : [.. args, "--inProcess"];
    BenchmarkSwitcher.FromAssembly(typeof(DecodeBenchmarks).Assembly).Run(benchmarkArgs);
    return 0;
}

// ---- Probes -------------------------------------------------------------------------------------------------------
var url = new Option<string>("--url") { Description = "influxd base URL.", DefaultValueFactory = _ => "http://127.0.0.1:8086/" };
var database = new Option<string>("--db") { Description = "Database (influx-ceiling creates it).", DefaultValueFactory = _ => "ceiling" };
var stations = new Option<int>("--stations") { Description = "Distinct stations (series / topics).", DefaultValueFactory = _ => 200 };
var values = new Option<int>("--values") { Description = "Values per message, as Irrigation.Benchmarks mqtt-load --values.", DefaultValueFactory = _ => 15 };
var points = new Option<long>("--points") { Description = "Points to write.", DefaultValueFactory = _ => 200_000 };
var batch = new Option<int>("--batch") { Description = "Points per write (the server's Ingest:BatchPoints).", DefaultValueFactory = _ => 5000 };
var gzip = new Option<bool>("--gzip") { Description = "Compress request bodies, as the server does.", DefaultValueFactory = _ => true };
var writers = new Option<int>("--writers") { Description = "Concurrent writers (the server has one).", DefaultValueFactory = _ => 1 };
var influxdPid = new Option<int>("--influxd-pid") { Description = "influxd's process id, to report its CPU while written to (Linux).", DefaultValueFactory = _ => 0 };
var influxCeiling = new Command("influx-ceiling", "influxd alone: the ingest run's points written directly.") { url, database, stations, values, points, batch, gzip, writers, influxdPid };
influxCeiling.SetAction(async (parse, cancellationToken) =>
{
    var result = await new InfluxCeiling(new Uri(parse.GetValue(url)!), parse.GetValue(database)!)
        .RunAsync(parse.GetValue(stations), parse.GetValue(points), parse.GetValue(values), parse.GetValue(batch), parse.GetValue(gzip), parse.GetValue(writers), parse.GetValue(influxdPid), cancellationToken);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"influx-ceiling: points={result.Points} stored={result.Stored} batches={result.Batches} body_bytes={result.BodyBytes} seconds={result.Seconds:0.000} points_per_s={result.PointsPerSecond:0} influxd_cores={result.InfluxdCores:0.00} writer_cores={result.WriterCores:0.00}"));
    return result.Stored == result.Points ? 0 : 1;
});

var broker = new Option<string>("--broker") { Description = "MQTT broker HOST:PORT.", DefaultValueFactory = _ => "127.0.0.1:1883" };
var messages = new Option<long>("--messages") { Description = "Messages to publish.", DefaultValueFactory = _ => 200_000 };
var publishers = new Option<int>("--publishers") { Description = "Publishing connections.", DefaultValueFactory = _ => 2 };
var mqttCeiling = new Command("mqtt-ceiling", "mosquitto alone: publishers → broker → one subscriber, QoS 1.") { broker, messages, publishers, stations, values };
mqttCeiling.SetAction(async (parse, cancellationToken) =>
{
    var endpoint = parse.GetValue(broker)!.Split(':');
    var port = endpoint.Length > 1 && int.TryParse(endpoint[1], CultureInfo.InvariantCulture, out var p) ? p : 1883;
    var result = await new MqttCeiling(endpoint[0], port)
        .RunAsync(parse.GetValue(messages), parse.GetValue(publishers), parse.GetValue(stations), parse.GetValue(values), cancellationToken);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"mqtt-ceiling: published={result.Published} received={result.Received} payload_bytes={result.PayloadBytes} seconds={result.Seconds:0.000} messages_per_s={result.MessagesPerSecond:0}"));
    return result.Received == result.Published ? 0 : 1;
});

var seconds = new Option<double>("--seconds") { Description = "How long to sample.", DefaultValueFactory = _ => 30 };
var interval = new Option<int>("--interval-ms") { Description = "Time between samples.", DefaultValueFactory = _ => 200 };
var prefix = new Option<string?>("--station-prefix") { Description = "Only stations whose id starts with this (letters and digits)." };
var samplesFile = new Option<string?>("--samples") { Description = "Write every sample (ms) here, one per line." };
var freshness = new Command("freshness", "Latency from gateway ts to queryable, sampled from influxd while load runs.") { url, database, seconds, interval, prefix, samplesFile };
freshness.SetAction(async (parse, cancellationToken) =>
{
    if (parse.GetValue(prefix) is { } stationPrefix && !stationPrefix.All(char.IsAsciiLetterOrDigit))
    {
        await Console.Error.WriteLineAsync("freshness: --station-prefix must be letters and digits.");
        return 2;
    }

    var result = await new FreshnessProbe(new Uri(parse.GetValue(url)!), parse.GetValue(database)!)
        .RunAsync(TimeSpan.FromSeconds(parse.GetValue(seconds)), TimeSpan.FromMilliseconds(parse.GetValue(interval)), parse.GetValue(prefix), cancellationToken);
    if (parse.GetValue(samplesFile) is { } path)
        await File.WriteAllLinesAsync(path, result.SamplesMs.Select(s => s.ToString(CultureInfo.InvariantCulture)), cancellationToken);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"freshness: samples={result.SamplesMs.Count} failed={result.Failed} p50_ms={result.Percentile(50)} p90_ms={result.Percentile(90)} p99_ms={result.Percentile(99)} max_ms={result.Percentile(100)}"));
    return result.SamplesMs.Count > 0 ? 0 : 1;
});

// ---- MQTT load generator: telemetry in the gateway's format, for the ingestion benchmark and the server tests -------
var loadStations = new Option<int>("--stations") { Description = "Synthetic stations.", DefaultValueFactory = _ => 100 };
var loadRate = new Option<double>("--rate") { Description = "Messages per second per station.", DefaultValueFactory = _ => 1 };
var loadValues = new Option<int>("--values") { Description = "Values (fields) per message.", DefaultValueFactory = _ => 15 };
var loadDuration = new Option<double>("--duration-s") { Description = "How long to publish.", DefaultValueFactory = _ => 60 };
var loadPublishers = new Option<int>("--publishers") { Description = "MQTT connections publishing in parallel.", DefaultValueFactory = _ => 2 };
var loadPrefix = new Option<string>("--id-prefix") { Description = "Station id prefix.", DefaultValueFactory = _ => "ld" };
var loadSummary = new Option<string?>("--summary") { Description = "Write a JSON summary (per-station counts) here." };
var loadProtocol = new Option<string>("--protocol") { Description = "MQTT version: 5 or 3.1.1 (a NATS cluster speaks only 3.1.1).", DefaultValueFactory = _ => "5" };
var load = new Command("mqtt-load", "Publish synthetic telemetry in the gateway's format at a fixed rate (QoS 1). --broker may list a cluster's nodes, comma-separated.")
{
    broker, loadStations, loadRate, loadValues, loadDuration, loadPublishers, loadPrefix, loadSummary, loadProtocol,
};
load.SetAction(async (parse, cancellationToken) =>
{
    var brokers = parse.GetValue(broker)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    var endpoint = brokers.FirstOrDefault("127.0.0.1:1883").Split(':');
    var options = new Irrigation.Benchmarks.Load.MqttLoadOptions
    {
        Brokers = brokers.Length > 1 ? brokers : [],
        Protocol = parse.GetValue(loadProtocol)!,
        BrokerHost = endpoint[0],
        BrokerPort = endpoint.Length > 1 && int.TryParse(endpoint[1], out var p) ? p : 1883,
        Stations = parse.GetValue(loadStations),
        Rate = parse.GetValue(loadRate),
        Values = parse.GetValue(loadValues),
        Duration = TimeSpan.FromSeconds(parse.GetValue(loadDuration)),
        Publishers = parse.GetValue(loadPublishers),
        IdPrefix = parse.GetValue(loadPrefix)!,
        SummaryPath = parse.GetValue(loadSummary),
    };
    try
    {
        options.Validate();
    }
    catch (ArgumentException ex)
    {
        await Console.Error.WriteLineAsync($"Irrigation.Benchmarks mqtt-load: {ex.Message}");
        return 2;
    }

    using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
    try
    {
        var summary = await new Irrigation.Benchmarks.Load.MqttLoadGenerator(options, loggers.CreateLogger("mqtt-load")).RunAsync(cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mqtt-load: published {summary.Published} messages in {summary.Seconds:0.0} s = {summary.MessagesPerSecond:0} msg/s ({summary.ValuesPerMessage} values each)"));
        return 0;
    }
    catch (Irrigation.Mqtt.Client.MqttClientException ex)
    {
        await Console.Error.WriteLineAsync($"Irrigation.Benchmarks mqtt-load: {ex.Message}");
        return 3;
    }
});

// ---- The benchmarks bench.sh runs: the whole orchestration and the report (docs/benchmarks.md) ----------------------
var quick = new Option<bool>("--quick") { Description = "Shorter runs (20 s, a 10 s warm-up, 300,000-message backlog): indicative figures." };
var benchStations = new Option<int>("--stations") { Description = "Stations publishing.", DefaultValueFactory = _ => 200 };
var benchRate = new Option<double>("--rate") { Description = "Messages per second per station at the target rate (a).", DefaultValueFactory = _ => 50 };
var benchSeconds = new Option<int?>("--seconds") { Description = "Length of run (a); (c) is half of it (default 60, quick 20)." };
var backlog = new Option<long?>("--backlog") { Description = "Messages published while the server is stopped, then drained (b) (default 1,000,000, quick 300,000)." };
var runDirectory = new Option<string>("--run-dir") { Description = "Logs and data of the run.", DefaultValueFactory = _ => ".run/bench/ingest" };
var resultsDirectory = new Option<string>("--results") { Description = "Where the report (Markdown) is written.", DefaultValueFactory = _ => "bench-results" };
var ingest = new Command("ingest", "mqtt-load → mosquitto → irrigation-server → influxd: target rate, maximum (backlog drain), latency, ceilings, report.")
{
    quick, benchStations, benchRate, benchSeconds, backlog, runDirectory, resultsDirectory,
};
ingest.SetAction(async (parse, cancellationToken) =>
{
    var isQuick = parse.GetValue(quick);
    var options = new Irrigation.Benchmarks.Orchestration.IngestBenchmarkOptions(
        isQuick, parse.GetValue(benchStations), parse.GetValue(benchRate), parse.GetValue(benchSeconds) ?? (isQuick ? 20 : 60),
        parse.GetValue(backlog) ?? (isQuick ? 300_000 : 1_000_000), parse.GetValue(runDirectory)!, parse.GetValue(resultsDirectory)!);
    return await new Irrigation.Benchmarks.Orchestration.IngestBenchmark(options).RunAsync(cancellationToken);
});

var gatewayStations = new Option<int>("--stations") { Description = "Simulated stations.", DefaultValueFactory = _ => 1000 };
var gatewaySeconds = new Option<int>("--seconds") { Description = "Measuring window.", DefaultValueFactory = _ => 60 };
var basePort = new Option<int>("--base-port") { Description = "First Modbus port of the simulated stations.", DefaultValueFactory = _ => 21000 };
var gatewayRunDirectory = new Option<string>("--run-dir") { Description = "Logs and data of the run.", DefaultValueFactory = _ => ".run/bench/gateway" };
var gateway = new Command("gateway", "One gateway polling N simulated stations at 1 Hz: poll rate, CPU, memory, report.")
{
    gatewayStations, gatewaySeconds, basePort, gatewayRunDirectory, resultsDirectory,
};
gateway.SetAction(async (parse, cancellationToken) =>
    await new Irrigation.Benchmarks.Orchestration.GatewayBenchmark(parse.GetValue(gatewayStations), parse.GetValue(gatewaySeconds), parse.GetValue(basePort),
        parse.GetValue(gatewayRunDirectory)!, parse.GetValue(resultsDirectory)!).RunAsync(cancellationToken));

var clusterServers = new Option<string>("--servers") { Description = "Server instance counts to measure, comma separated.", DefaultValueFactory = _ => "1,2,3" };
var clusterStations = new Option<int>("--stations") { Description = "Stations publishing the backlog.", DefaultValueFactory = _ => 100 };
var clusterSeconds = new Option<int>("--backlog-s") { Description = "Seconds of load published as the backlog.", DefaultValueFactory = _ => 20 };
var clusterRate = new Option<double>("--rate") { Description = "Messages per second per station in the backlog.", DefaultValueFactory = _ => 10 };
var clusterRun = new Option<string>("--run-dir") { Description = "Logs and data of the run.", DefaultValueFactory = _ => ".run/bench/cluster" };
var cluster = new Command("cluster", "1, 2, 3 server instances sharing a 3-node NATS cluster's telemetry: drain rate and CPU per message.")
{
    clusterServers, clusterStations, clusterSeconds, clusterRate, clusterRun, resultsDirectory,
};
cluster.SetAction(async (parse, cancellationToken) =>
    await new Irrigation.Benchmarks.Orchestration.ClusterBenchmark(
        parse.GetValue(clusterServers)!.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(), parse.GetValue(clusterStations),
        parse.GetValue(clusterSeconds), parse.GetValue(clusterRate), parse.GetValue(clusterRun)!, parse.GetValue(resultsDirectory)!).RunAsync(cancellationToken));

var root = new RootCommand("The benchmarks (ingest, gateway, cluster), their probes, and the MQTT load generator.") { ingest, gateway, cluster, influxCeiling, mqttCeiling, freshness, load };
return await root.Parse(args).InvokeAsync();
