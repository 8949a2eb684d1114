using System.Globalization;
using System.Text;

namespace Irrigation.Benchmarks.Orchestration;

/// <summary>The ingest benchmark's Markdown report: the three runs, the ceilings, decode cost and the targets.</summary>
internal static class IngestReport
{
    private const int Fields = 18;

    public static string Write(IngestBenchmarkOptions options, int warmupSeconds, IngestRunResult a, IngestRunResult b, IngestRunResult c,
        InfluxCeilingResult influx, MqttCeilingResult mqtt, DecodeReport decode, long rssPeak)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.Append(line.ToString(inv)).Append('\n');
        static string Rate(double rate) => rate > 0 ? rate.ToString("0", CultureInfo.InvariantCulture) : "– (kept up)";
        static string Pass(bool ok) => ok ? "PASS" : "FAIL";
        string Latency(FreshnessResult? r) => r is null || r.SamplesMs.Count == 0 ? "– / – / –" : $"{r.Percentile(50)} / {r.Percentile(99)} / {r.Percentile(100)}";

        var lost = a.Lost + b.Lost + c.Lost;
        var ratio = b.DrainRate / influx.PointsPerSecond;
        var coresAt10K = a.WindowRate > 0 ? a.ServerCores * 10_000 / a.WindowRate : 0;
        var p99Half = c.Latency is { SamplesMs.Count: > 0 } l ? l.Percentile(99) : -1;
        Line($"# Ingest benchmark — {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, {Environment.ProcessorCount} cores{(options.Quick ? ", quick mode" : "")}");
        Line($"");
        Line($"Irrigation.Benchmarks mqtt-load (15 values = {Fields} fields per message, QoS 1) → mosquitto → irrigation-server → influxd, all on 127.0.0.1, each a real process.");
        Line($"Every figure comes from this one run; the load generator, broker, server and influxd share the machine's cores.");
        Line($"A {warmupSeconds} s warm-up at the target rate precedes (a); each run measures after its own warm-up of a sixth of its length (at least 5 s).");
        Line($"");
        Line($"| measure | (a) target rate | (b) maximum | (c) half of maximum |");
        Line($"| --- | --- | --- | --- |");
        Line($"| offered by the generator, msg/s | {a.Offered:0} | {b.Offered:0} | {c.Offered:0} |");
        Line($"| stored by the server while the generator ran (after warm-up), msg/s | {a.WindowRate:0} | – (server stopped) | {c.WindowRate:0} |");
        Line($"| … fields/s | {a.WindowRate * Fields:0} | – | {c.WindowRate * Fields:0} |");
        Line($"| backlog stored after the generator stopped (broker + server + influxd only; b: {b.Published} messages published with the server stopped, then drained), msg/s | {Rate(a.DrainRate)} | **{Rate(b.DrainRate)}** | {Rate(c.DrainRate)} |");
        Line($"| … fields/s | {Rate(a.DrainRate * Fields)} | {Rate(b.DrainRate * Fields)} | {Rate(c.DrainRate * Fields)} |");
        Line($"| time to store the backlog (b: first to last message stored), s | {a.DrainSeconds:0.0} | {b.DrainSeconds:0.0} | {c.DrainSeconds:0.0} |");
        Line($"| … server / mosquitto / influxd CPU meanwhile, cores | – | {b.DrainServerCores:0.00} / {b.DrainMosquittoCores:0.00} / {b.DrainInfluxdCores:0.00} | – |");
        Line($"| published / counted in InfluxDB / lost | {a.Published} / {a.Counted} / {a.Lost} | {b.Published} / {b.Counted} / {b.Lost} | {c.Published} / {c.Counted} / {c.Lost} |");
        Line($"| latency ts → queryable p50 / p99 / max, ms | {Latency(a.Latency)} | – | {Latency(c.Latency)} |");
        Line($"| server CPU while the generator ran, cores | {a.ServerCores:0.000} | – | {c.ServerCores:0.000} |");
        Line($"| … mosquitto / influxd / generator CPU meanwhile, cores | {a.MosquittoCores:0.00} / {a.InfluxdCores:0.00} / {a.GeneratorCores:0.00} | – | {c.MosquittoCores:0.00} / {c.InfluxdCores:0.00} / {c.GeneratorCores:0.00} |");
        Line($"| server peak RSS (VmHWM) at the end of the run, MB | {a.ServerRssMb} | {b.ServerRssMb} | {c.ServerRssMb} |");
        Line($"");
        Line($"| ceiling (same machine, same run, nothing else loaded) | value |");
        Line($"| --- | --- |");
        Line($"| influxd alone: {influx.Points} points (15 values) over {options.Stations} series, 5000 per POST, gzip, one writer | {influx.PointsPerSecond:0} points/s |");
        Line($"| … influxd / writer CPU meanwhile, cores | {influx.InfluxdCores:0.00} / {influx.WriterCores:0.00} |");
        Line($"| mosquitto alone: QoS 1, {mqtt.PayloadBytes}-byte payloads, 2 publishers → 1 subscriber | {mqtt.MessagesPerSecond:0} msg/s |");
        Line($"| **ingest (b, backlog) as a ratio of the influxd ceiling** | **{ratio:0.00}** |");
        Line($"| … the backlog was published at (generator with the server stopped) | {b.Offered:0} msg/s |");
        Line($"| ingest (b, backlog) as a ratio of the mosquitto ceiling | {b.DrainRate / mqtt.MessagesPerSecond:0.00} |");
        Line($"");
        Line($"| decode → encode per message (BenchmarkDotNet, short job) | time | allocated |");
        Line($"| --- | --- | --- |");
        Line($"| 15 values → 1 point, 18 fields | {decode.Mean15} | {decode.Allocated15} |");
        Line($"| 2-pump snapshot, 36 values → 3 points, 39 fields | {decode.Mean36} | {decode.Allocated36} |");
        Line($"");
        Line($"| target | measured | |");
        Line($"| --- | --- | --- |");
        Line($"| ingest ≥ 80% of the influxd-alone ceiling with zero loss | {ratio * 100:0}%, {lost} lost | {Pass(ratio >= 0.8 && lost == 0)} |");
        var at = a.WindowRate is > 9500 and < 10500 ? $"at {a.WindowRate:0} msg/s" : $"scaled linearly from {a.WindowRate:0} msg/s: run at 10,000";
        Line($"| server ≤ 0.25 core at 10,000 msg/s of 15-value telemetry | {coresAt10K:0.000} core ({at}) | {Pass(coresAt10K <= 0.25)} |");
        Line($"| server ≤ 300 MB RSS | {rssPeak} MB | {Pass(rssPeak <= 300)} |");
        Line($"| p99 ≤ 2 s at half the maximum rate (c: {c.Offered:0} msg/s offered) | {p99Half} ms | {Pass(p99Half is >= 0 and <= 2000)} |");
        Line($"| 0 B allocated per message in steady-state decode + encode | {decode.Allocated15}, {decode.Allocated36} | {Pass(decode.Allocated15 == "0 B" && decode.Allocated36 == "0 B")} |");
        Line($"");
        Line($"Load {File.ReadAllText("/proc/loadavg").Split(' ')[..3].Aggregate((x, y) => x + ", " + y)} (1/5/15 min) when the report was written. Logs: {options.RunDirectory}/.");
        return text.ToString();
    }
}
