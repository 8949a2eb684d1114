using System.CommandLine;
using System.Globalization;
using BenchmarkDotNet.Running;
using Irrigation.Benchmarks;

// Irrigation.Benchmarks: BenchmarkDotNet micro-benchmarks (any BenchmarkDotNet arguments, e.g. --filter '*Decode*'),
// and the probes bench.sh ingest runs: influx-ceiling, mqtt-ceiling, freshness. Each probe prints one line
// "<probe>: key=value ..." for the script to read.

string[] probes = ["influx-ceiling", "mqtt-ceiling", "freshness"];
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
var values = new Option<int>("--values") { Description = "Values per message, as firmware-sim mqtt-load --values.", DefaultValueFactory = _ => 15 };
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

var root = new RootCommand("Ceiling and latency probes for bench.sh ingest.") { influxCeiling, mqttCeiling, freshness };
return await root.Parse(args).InvokeAsync();
