using System.Net;
using Irrigation.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests;

/// <summary>
/// Ingestion under load, through outages, kills and restarts: one at a time. Every stack takes its own free ports and
/// directories, so this collection runs beside <see cref="SystemFlowsCollection"/> (xUnit's two threads on two cores):
/// the suite's wall time is the longer of the two, not their sum.
/// </summary>
[CollectionDefinition("Integration")]
public sealed class IntegrationCollection;

/// <summary>
/// What operators and crews see end to end (plans, alarms, notifications, reports, signed commands, accounting,
/// the operator API): one at a time, beside <see cref="IntegrationCollection"/>.
/// </summary>
[CollectionDefinition("SystemFlows")]
public sealed class SystemFlowsCollection;

/// <summary>
/// End to end, with real processes only: mosquitto, influxd, the irrigation-server program and the firmware-sim load
/// generator. Whatever the generator published (and the broker acknowledged) must be in InfluxDB exactly once, at
/// the gateway's timestamp — under load, through an InfluxDB outage and through a kill -9 of the server.
/// </summary>
[Collection("Integration")]
public sealed partial class IngestionServiceTests
{
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(90);
    private readonly ITestOutputHelper _output;

    public IngestionServiceTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Ingest_FiftyStationsAtTwentyMessagesPerSecond_StoresEveryMessageOnceAtTheGatewayTimestamp()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-load");
        await using var load = stack.StartLoad(stations: 50, rate: 20, seconds: 10);

        var summary = await load.CompleteAsync();
        var counts = await stack.WaitForCountsAsync(summary, CatchUp);

        var differences = IngestionStack.CountDifferences(summary, counts);
        Assert.True(differences.Length == 0, differences + await stack.DiagnosticsAsync());
        Assert.Equal(50, counts.Count);
        Assert.Equal(10_000, summary.Published);

        // The points carry the generator's (the gateway's) timestamps, never the arrival time.
        var first = await stack.SelectAsync("first");
        var last = await stack.SelectAsync("last");
        Assert.Equal(summary.FirstTimestampMs, first.TimeMs);
        Assert.Equal(1, first.Value);
        Assert.Equal(summary.LastTimestampMs, last.TimeMs);
        var stationFirst = await stack.SelectAsync("first", "ld00001");
        var stationLast = await stack.SelectAsync("last", "ld00001");
        var stationMax = await stack.SelectAsync("max", "ld00001");
        Assert.Equal(1, stationFirst.Value);
        Assert.Equal(summary.PerStation["ld00001"], stationLast.Value);
        Assert.Equal(summary.PerStation["ld00001"], stationMax.Value);
        Assert.InRange(stationFirst.TimeMs, summary.FirstTimestampMs, summary.FirstTimestampMs + 1000);
        Assert.InRange(stationLast.TimeMs, summary.LastTimestampMs - 1000, summary.LastTimestampMs);

        var metrics = await stack.MetricsAsync();
        Assert.Equal(summary.Published, metrics["irrigation_ingest_received_total"]);
        Assert.Equal(summary.Published, metrics["irrigation_ingest_stored_total"]);
        Assert.Equal(0, metrics.Where(kv => kv.Key.StartsWith("irrigation_ingest_dropped_total", StringComparison.Ordinal)).Sum(kv => kv.Value));
        Assert.Equal(0, metrics["irrigation_ingest_influx_rejected_points_total"]);
        _output.WriteLine($"load: {summary.Published} messages in {summary.Seconds:0.0} s ({summary.MessagesPerSecond:0}/s), {counts.Values.Sum()} stored; " +
            $"points written directly {metrics["irrigation_ingest_points_written_total"]}, spooled {metrics["irrigation_ingest_spooled_points_total"]}");
    }

    [Fact]
    public async Task Ingest_InfluxdStoppedForSixtySecondsUnderLoad_SpoolsAndReplaysEveryMessageOnce()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-outage");
        var serverId = stack.Server.Id;
        await using var load = stack.StartLoad(stations: 30, rate: 10, seconds: 90);

        await load.WaitUntilElapsedAsync(TimeSpan.FromSeconds(10));
        await stack.Influxd.StopAsync();
        _output.WriteLine($"influxd stopped at {load.Elapsed.TotalSeconds:0.0} s");
        await load.WaitUntilElapsedAsync(TimeSpan.FromSeconds(68));
        var during = await stack.MetricsAsync();
        var readyDuring = await stack.ReadyAsync();
        await load.WaitUntilElapsedAsync(TimeSpan.FromSeconds(70));
        await stack.Influxd.RestartAsync();
        _output.WriteLine($"influxd back at {load.Elapsed.TotalSeconds:0.0} s; spooled so far {during["irrigation_ingest_spooled_points_total"]} point(s) in {during["irrigation_ingest_spooled_batches_total"]} batch(es)");

        var summary = await load.CompleteAsync();
        var counts = await stack.WaitForCountsAsync(summary, CatchUp);
        var metrics = await Poll.UntilAsync(stack.MetricsAsync, m => m["irrigation_spool_pending_batches"] == 0, TimeSpan.FromSeconds(30));

        var differences = IngestionStack.CountDifferences(summary, counts);
        Assert.True(differences.Length == 0, differences + await stack.DiagnosticsAsync());
        Assert.True(during["irrigation_ingest_spooled_points_total"] > 0, "nothing was spooled during the outage\n" + await stack.DiagnosticsAsync());
        Assert.Equal(HttpStatusCode.OK, readyDuring.Status); // the spool can take telemetry while InfluxDB is down
        Assert.False(readyDuring.Body["influx"]!.GetValue<bool>());
        Assert.True(metrics["irrigation_ingest_replayed_points_total"] > 0);
        Assert.Equal(metrics["irrigation_ingest_spooled_points_total"], metrics["irrigation_ingest_replayed_points_total"]);
        Assert.Equal(0, metrics["irrigation_spool_pending_batches"]);
        Assert.Equal(summary.Published, metrics["irrigation_ingest_stored_total"]);
        Assert.Equal(0, metrics["irrigation_ingest_influx_rejected_points_total"]);

        // The server stayed up throughout: same process, still answering.
        Assert.False(stack.Server.HasExited);
        Assert.Equal(serverId, stack.Server.Id);
        using var live = await stack.Http.GetAsync(new Uri("health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        _output.WriteLine($"outage: {summary.Published} messages published, {counts.Values.Sum()} stored; spooled {metrics["irrigation_ingest_spooled_points_total"]} point(s) " +
            $"in {metrics["irrigation_ingest_spooled_batches_total"]} batch(es), replayed {metrics["irrigation_ingest_replayed_points_total"]} in {metrics["irrigation_ingest_replayed_batches_total"]}; " +
            $"written directly {metrics["irrigation_ingest_points_written_total"]}");
    }

    [Fact]
    public async Task Ingest_ServerKilledWithSpooledDataAndRestarted_LosesNothing()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-kill");
        await using var load = stack.StartLoad(stations: 30, rate: 10, seconds: 25);

        // InfluxDB down first, so that when the server dies it holds acknowledged batches in its spool only.
        await load.WaitUntilElapsedAsync(TimeSpan.FromSeconds(3));
        await stack.Influxd.StopAsync();
        var spooling = await Poll.UntilAsync(stack.MetricsAsync, m => m["irrigation_spool_pending_batches"] >= 2, TimeSpan.FromSeconds(20));
        Assert.True(spooling["irrigation_spool_pending_batches"] >= 2, "the server did not spool\n" + await stack.DiagnosticsAsync());
        await stack.KillServerAsync();
        _output.WriteLine($"server killed (-9) at {load.Elapsed.TotalSeconds:0.0} s with {spooling["irrigation_spool_pending_batches"]}+ spooled batch(es)");

        await stack.Influxd.RestartAsync();
        await Task.Delay(TimeSpan.FromSeconds(1)); // the broker keeps the server's share meanwhile
        await stack.StartServerAsync();
        _output.WriteLine($"server restarted at {load.Elapsed.TotalSeconds:0.0} s");

        var summary = await load.CompleteAsync();
        var counts = await stack.WaitForCountsAsync(summary, CatchUp);
        var metrics = await Poll.UntilAsync(stack.MetricsAsync, m => m["irrigation_spool_pending_batches"] == 0, TimeSpan.FromSeconds(30));

        var differences = IngestionStack.CountDifferences(summary, counts);
        Assert.True(differences.Length == 0, differences + await stack.DiagnosticsAsync());
        Assert.True(metrics["irrigation_ingest_replayed_points_total"] > 0, "the restarted server replayed nothing from the spool\n" + await stack.DiagnosticsAsync());
        Assert.Contains(stack.Server.Lines, l => l.Contains("from before the restart", StringComparison.Ordinal));
        Assert.Equal(summary.LastTimestampMs, (await stack.SelectAsync("last")).TimeMs);
        _output.WriteLine($"kill -9: {summary.Published} messages published, {counts.Values.Sum()} stored; after the restart: received {metrics["irrigation_ingest_received_total"]}, " +
            $"replayed {metrics["irrigation_ingest_replayed_points_total"]} point(s) from the spool");
    }
}
