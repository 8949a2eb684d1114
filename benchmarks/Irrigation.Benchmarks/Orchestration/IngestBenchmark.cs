using System.Diagnostics;
using Irrigation.Testing;
using static Irrigation.Benchmarks.Orchestration.BenchProcesses;

namespace Irrigation.Benchmarks.Orchestration;

/// <summary>The ingest benchmark's settings (<c>bench ingest</c>, docs/benchmarks.md).</summary>
internal sealed record IngestBenchmarkOptions(bool Quick, int Stations, double Rate, int Seconds, long Backlog, string RunDirectory, string ResultsDirectory);

/// <summary>CPU and figures of one measured load run (a or c) or of the drain (b).</summary>
internal sealed record IngestRunResult(
    long Published, double Offered, long Counted, double WindowRate, double DrainSeconds, double DrainRate,
    double ServerCores, double MosquittoCores, double InfluxdCores, double GeneratorCores,
    double DrainServerCores, double DrainMosquittoCores, double DrainInfluxdCores, long ServerRssMb, FreshnessResult? Latency)
{
    public long Lost => Published - Counted;

    /// <summary>One line for the log.</summary>
    public string Brief() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"published={Published} counted={Counted} lost={Lost} window_rate={WindowRate:0} drain_s={DrainSeconds:0.0} drain_rate={DrainRate:0} server_cores={ServerCores:0.000} drain_server_cores={DrainServerCores:0.00} rss_mb={ServerRssMb}");
}

/// <summary>
/// The ingest benchmark: mqtt-load → mosquitto → irrigation-server → influxd on this machine, each against its ceiling.
/// Decode cost (BenchmarkDotNet), influxd alone, mosquitto alone; then (a) the target rate, (b) the maximum as the drain
/// of a backlog published while the server was stopped (only broker, server and influxd run meanwhile), and (c)
/// latency at half that maximum. Every process is a real one, started with the test-support wrappers.
/// </summary>
internal sealed class IngestBenchmark(IngestBenchmarkOptions options)
{
    private static void Log(string message) => Console.Error.WriteLine($"[bench] {message}");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var dir = Path.GetFullPath(options.RunDirectory);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(options.ResultsDirectory);
        var target = options.Stations * options.Rate;
        var maxSeconds = Math.Max(10, options.Seconds / 2);

        // ---- decode → encode per message (BenchmarkDotNet, in-process, short job), on a quiet machine ----
        Log("BenchmarkDotNet: TelemetryDecoder.Decode (short job)");
        var decode = await DecodeReport.RunAsync(dir, cancellationToken);

        await using var broker = await MosquittoBroker.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();

        // ---- ceilings: influxd alone, mosquitto alone (nothing else running) ----
        var ceilingPoints = (long)Math.Clamp(target * options.Seconds, 100_000, 600_000);
        var mqttMessages = options.Quick ? 100_000 : 300_000;
        Log($"influxd alone: {ceilingPoints} points, batches of 5000, gzip, one writer");
        var influxCeiling = await new InfluxCeiling(influxd.Url, "ceiling").RunAsync(options.Stations, ceilingPoints, 15, 5000, true, 1, influxd.ProcessId, cancellationToken);
        Log($"mosquitto alone: {mqttMessages} messages, QoS 1, 2 publishers → 1 subscriber");
        var mqttCeiling = await new MqttCeiling("127.0.0.1", broker.Port).RunAsync(mqttMessages, 2, options.Stations, 15, cancellationToken);

        await using var server = new IngestServerHandle(dir, broker, influxd);
        await server.StartAsync(cancellationToken);

        // ---- warm-up: the server's JIT (tiered compilation, PGO) settles under load before anything is measured ----
        var warmupSeconds = options.Quick ? 10 : 30;
        Log($"warm-up: {options.Stations} stations × {options.Rate} msg/s for {warmupSeconds} s (not measured)");
        await using (var warm = StartLoad(broker.Port, options.Stations, options.Rate, warmupSeconds, 2, "rw", Path.Combine(dir, "rw-summary.json"), Path.Combine(dir, "rw-load.log")))
        {
            if (await warm.WaitForExitAsync(TimeSpan.FromSeconds(warmupSeconds * 4 + 120)) != 0)
                throw new InvalidOperationException($"mqtt-load failed:\n{warm.Tail()}");
        }

        await server.WaitStoredAsync(ReadSummary(Path.Combine(dir, "rw-summary.json")).Published, TimeSpan.FromMinutes(5), Log, cancellationToken);

        var a = await LoadRunAsync(dir, server, broker, influxd, "ra", options.Rate, options.Seconds, cancellationToken);
        var b = await DrainRunAsync(dir, server, broker, influxd, "rb", options.Backlog, cancellationToken);
        var c = await LoadRunAsync(dir, server, broker, influxd, "rc", b.DrainRate / 2 / options.Stations, maxSeconds, cancellationToken);

        var rssPeak = Math.Max(PeakRssMb(server.Pid), b.ServerRssMb);
        var report = IngestReport.Write(options, warmupSeconds, a, b, c, influxCeiling, mqttCeiling, decode, rssPeak);
        var path = Path.Combine(options.ResultsDirectory, options.Quick ? "ingest-quick.md" : "ingest.md");
        await File.WriteAllTextAsync(path, report, cancellationToken);
        Console.Write(report);
        Log($"report: {path}; logs: {dir}");
        return 0;
    }

    /// <summary>
    /// One load run at <paramref name="rate"/> per station for <paramref name="seconds"/>: CPU of every process and the
    /// server's stored rate over the steady window (after a warm-up of a sixth, at least 5 s, until the generator ends),
    /// latency sampled from influxd meanwhile, then drained and counted in InfluxDB.
    /// </summary>
    private async Task<IngestRunResult> LoadRunAsync(string dir, IngestServerHandle server, MosquittoBroker broker, InfluxdServer influxd, string prefix, double rate, int seconds, CancellationToken cancellationToken)
    {
        var warmup = Math.Max(5, seconds / 6);
        var storedBefore = await server.StoredAsync(cancellationToken);
        Log($"run {prefix}: {options.Stations} stations × {rate:0.##} msg/s for {seconds} s");
        await using var load = StartLoad(broker.Port, options.Stations, rate, seconds, 2, prefix, Path.Combine(dir, $"{prefix}-summary.json"), Path.Combine(dir, $"{prefix}-load.log"));
        await Task.Delay(TimeSpan.FromSeconds(warmup), cancellationToken);

        var t0 = Stopwatch.GetTimestamp();
        double s0 = ProcessCpu.Seconds(server.Pid), m0 = ProcessCpu.Seconds(broker.ProcessId), i0 = ProcessCpu.Seconds(influxd.ProcessId), g0 = ProcessCpu.Seconds(load.Id);
        var stored0 = await server.StoredAsync(cancellationToken);
        var latency = new FreshnessProbe(influxd.Url, IngestServerHandle.Database)
            .RunAsync(TimeSpan.FromSeconds(seconds - warmup), TimeSpan.FromMilliseconds(200), prefix, cancellationToken);

        // The generator's CPU is read just before it exits (its /proc entry goes with it).
        var g1 = g0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds * 4 + 120);
        while (!load.HasExited && DateTime.UtcNow < deadline)
        {
            g1 = Math.Max(g1, ProcessCpu.Seconds(load.Id));
            await Task.Delay(500, cancellationToken);
        }

        if (await load.WaitForExitAsync(TimeSpan.FromSeconds(10)) != 0)
            throw new InvalidOperationException($"mqtt-load failed:\n{load.Tail()}");
        var window = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        double s1 = ProcessCpu.Seconds(server.Pid), m1 = ProcessCpu.Seconds(broker.ProcessId), i1 = ProcessCpu.Seconds(influxd.ProcessId);
        var stored1 = await server.StoredAsync(cancellationToken);
        var samples = await latency;
        var summary = ReadSummary(Path.Combine(dir, $"{prefix}-summary.json"));
        Log($"run {prefix}: published {summary.Published}; waiting for the server to store them");
        var t1 = Stopwatch.GetTimestamp();
        var storedEnd = await server.WaitStoredAsync(storedBefore + summary.Published, TimeSpan.FromMinutes(15), Log, cancellationToken);
        var drain = Stopwatch.GetElapsedTime(t1).TotalSeconds;
        double s2 = ProcessCpu.Seconds(server.Pid), m2 = ProcessCpu.Seconds(broker.ProcessId), i2 = ProcessCpu.Seconds(influxd.ProcessId);
        await Task.Delay(1000, cancellationToken); // let influxd make the last write queryable
        var counted = await server.CountAsync(prefix, cancellationToken);
        var drained = drain >= 5;
        var result = new IngestRunResult(
            summary.Published, summary.MessagesPerSecond, counted, (stored1 - stored0) / window, drain, drained ? (storedEnd - stored1) / drain : 0,
            (s1 - s0) / window, (m1 - m0) / window, (i1 - i0) / window, (g1 - g0) / window,
            drained ? (s2 - s1) / drain : 0, drained ? (m2 - m1) / drain : 0, drained ? (i2 - i1) / drain : 0, PeakRssMb(server.Pid), samples);
        Log($"run {prefix}: {result.Brief()}");
        return result;
    }

    /// <summary>
    /// The maximum, measured honestly: the server is stopped, <paramref name="messages"/> are published into its persistent
    /// session (mosquitto holds them), then the server is started and the time from its first stored message to the last
    /// is the drain. Only broker, server and influxd run meanwhile, so the load generator's speed does not enter it.
    /// </summary>
    private async Task<IngestRunResult> DrainRunAsync(string dir, IngestServerHandle server, MosquittoBroker broker, InfluxdServer influxd, string prefix, long messages, CancellationToken cancellationToken)
    {
        var rssBefore = PeakRssMb(server.Pid);
        Log($"run {prefix}: stopping the server; publishing {messages} messages into its persistent session");
        await server.StopAsync();
        await using (var fill = StartLoad(broker.Port, options.Stations, messages / (options.Stations * 10.0), 10, 4, prefix, Path.Combine(dir, $"{prefix}-summary.json"), Path.Combine(dir, $"{prefix}-load.log")))
        {
            if (await fill.WaitForExitAsync(TimeSpan.FromMinutes(10)) != 0)
                throw new InvalidOperationException($"mqtt-load failed:\n{fill.Tail()}");
        }

        var summary = ReadSummary(Path.Combine(dir, $"{prefix}-summary.json"));
        Log($"run {prefix}: mosquitto holds {summary.Published} messages (published at {summary.MessagesPerSecond:0} msg/s); starting the server");
        await server.StartAsync(cancellationToken);
        var first = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await server.StoredAsync(cancellationToken) == 0)
        {
            if (DateTime.UtcNow > first)
                throw new TimeoutException("the server stored nothing within 60 s");
            await Task.Delay(100, cancellationToken);
        }

        var t0 = Stopwatch.GetTimestamp();
        double s0 = ProcessCpu.Seconds(server.Pid), m0 = ProcessCpu.Seconds(broker.ProcessId), i0 = ProcessCpu.Seconds(influxd.ProcessId);
        var stored0 = await server.StoredAsync(cancellationToken); // what was stored before the clock started does not count
        var stored = await server.WaitStoredAsync(summary.Published, TimeSpan.FromMinutes(30), Log, cancellationToken);
        var drain = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        double s1 = ProcessCpu.Seconds(server.Pid), m1 = ProcessCpu.Seconds(broker.ProcessId), i1 = ProcessCpu.Seconds(influxd.ProcessId);
        await Task.Delay(1000, cancellationToken);
        var counted = await server.CountAsync(prefix, cancellationToken);
        var rssAfter = PeakRssMb(server.Pid);
        var result = new IngestRunResult(summary.Published, summary.MessagesPerSecond, counted, 0, drain, (stored - stored0) / drain, 0, 0, 0, 0,
            (s1 - s0) / drain, (m1 - m0) / drain, (i1 - i0) / drain, Math.Max(rssBefore, rssAfter), null);
        Log($"run {prefix}: {result.Brief()}");
        return result;
    }
}
