using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests;

/// <summary>
/// Two time-series replicas (two real influxd) behind one server, with real mosquitto and the real load generator:
/// one influxd is killed with -9 under load and started again; both must end with every acknowledged message.
/// </summary>
[Collection("SystemFlows")]
public sealed class ReplicatedIngestionTests
{
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(120);
    private readonly ITestOutputHelper _output;

    public ReplicatedIngestionTests(ITestOutputHelper output) => _output = output;

    private static string Replica(string metric, int replica) => $"{metric}{{replica=\"r{replica}\"}}";

    [Fact]
    public async Task Ingest_PreferredOfTwoInfluxdKilledUnderLoad_OtherKeepsEveryPointAnswersQueriesAndKilledCatchesUpFromItsSpool()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-replicas", replicas: 2);
        var readyBefore = await stack.ReadyAsync();
        Assert.Equal(["r0", "r1"], readyBefore.Body["replicas"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        await using var load = stack.StartLoad(stations: 30, rate: 10, seconds: 75);

        await load.WaitUntilElapsedAsync(TimeSpan.FromSeconds(10));
        var killedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await stack.InfluxdOf(0).KillAsync();
        _output.WriteLine($"influxd r0 killed (-9) at {load.Elapsed.TotalSeconds:0.0} s");

        await load.WaitUntilElapsedAsync(TimeSpan.FromSeconds(45));
        var during = await stack.MetricsAsync();
        var readyDuring = await stack.ReadyAsync();
        // History goes through the server's query client: r0, the preferred replica, is dead, so the answer is r1's.
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var history = await stack.Http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"api/stations/ld00001/history?quantity=seq&from={killedMs}&to={nowMs}"), UriKind.Relative));
        var historyBody = await history.Content.ReadAsStringAsync();
        var onlyR1 = await stack.CountsPerStationAsync(1);

        await load.WaitUntilElapsedAsync(TimeSpan.FromSeconds(50));
        await stack.InfluxdOf(0).RestartAsync();
        var restarted = Stopwatch.StartNew();
        var atRestart = await stack.MetricsAsync();
        var spooledAtRestart = atRestart[Replica("irrigation_timeseries_replica_pending_batches", 0)];
        var spoolBytesAtRestart = atRestart[Replica("irrigation_timeseries_replica_spool_bytes", 0)];
        var spooledPointsAtRestart = atRestart[Replica("irrigation_timeseries_spooled_points_total", 0)];
        _output.WriteLine($"influxd r0 back at {load.Elapsed.TotalSeconds:0.0} s with {spooledAtRestart} batch(es), {spooledPointsAtRestart} point(s), {spoolBytesAtRestart} byte(s) in its spool");
        var caughtUp = await Poll.UntilAsync(stack.MetricsAsync, m => m[Replica("irrigation_timeseries_replica_caught_up", 0)] == 1, CatchUp, TimeSpan.FromMilliseconds(200));
        var catchUpTime = restarted.Elapsed;

        var summary = await load.CompleteAsync();
        var counts0 = await stack.WaitForCountsAsync(summary, CatchUp, replica: 0);
        var counts1 = await stack.WaitForCountsAsync(summary, CatchUp, replica: 1);
        var metrics = await stack.MetricsAsync();

        // Nothing lost, nothing missing, on both replicas.
        Assert.True(IngestionStack.CountDifferences(summary, counts0).Length == 0, "r0: " + IngestionStack.CountDifferences(summary, counts0) + await stack.DiagnosticsAsync());
        Assert.True(IngestionStack.CountDifferences(summary, counts1).Length == 0, "r1: " + IngestionStack.CountDifferences(summary, counts1) + await stack.DiagnosticsAsync());
        for (var replica = 0; replica < 2; replica++)
            Assert.Equal("", await MissingSequencesAsync(stack, replica, summary));

        // During the outage: r0 spooled, r1 was written directly all along (never slowed into its spool), readiness said so.
        Assert.True(caughtUp[Replica("irrigation_timeseries_replica_caught_up", 0)] == 1, "r0 never caught up\n" + await stack.DiagnosticsAsync());
        Assert.True(during[Replica("irrigation_timeseries_spooled_points_total", 0)] > 0, "nothing spooled for r0\n" + await stack.DiagnosticsAsync());
        Assert.Equal(0, during[Replica("irrigation_timeseries_replica_healthy", 0)]);
        Assert.Equal(1, during[Replica("irrigation_timeseries_replica_caught_up", 1)]);
        Assert.Equal(0, metrics[Replica("irrigation_timeseries_spooled_points_total", 1)]);
        Assert.Equal(HttpStatusCode.OK, readyDuring.Status);
        var replicasDuring = readyDuring.Body["replicas"]!.AsArray();
        Assert.False(replicasDuring[0]!["healthy"]!.GetValue<bool>());
        Assert.True(replicasDuring[0]!["spoolPending"]!.GetValue<long>() > 0);
        Assert.True(replicasDuring[1]!["caughtUp"]!.GetValue<bool>());

        // Queries answered from r1 while r0 was dead, with data written after the kill.
        Assert.True(history.StatusCode == HttpStatusCode.OK, $"history during the outage: {(int)history.StatusCode} {historyBody}\n{await stack.DiagnosticsAsync()}");
        var points = JsonNode.Parse(historyBody)!["points"]!.AsArray();
        Assert.NotEmpty(points);
        Assert.True(points.Max(p => p![0]!.GetValue<double>()) >= killedMs, historyBody);
        Assert.True(onlyR1.GetValueOrDefault("ld00001") > 0);

        // Catch-up: every spooled point replayed to r0, in its own loop.
        var spooled0 = metrics[Replica("irrigation_timeseries_spooled_points_total", 0)];
        var replayed0 = metrics[Replica("irrigation_timeseries_replayed_points_total", 0)];
        Assert.Equal(spooled0, replayed0);
        Assert.Equal(0, metrics[Replica("irrigation_timeseries_replica_pending_batches", 0)]);
        Assert.Equal(summary.Published, metrics["irrigation_ingest_stored_total"]);
        var written0 = metrics[Replica("irrigation_timeseries_written_points_total", 0)];
        var written1 = metrics[Replica("irrigation_timeseries_written_points_total", 1)];
        Assert.Equal(written1, written0 + replayed0); // every point reached r0 once, directly or from its spool

        _output.WriteLine($"replicas: {summary.Published} messages in {summary.Seconds:0.0} s ({summary.MessagesPerSecond:0}/s); " +
            $"r1 written directly {written1} point(s); r0 written directly {written0}, spooled {spooled0}, replayed {replayed0}; " +
            $"r0 caught up {catchUpTime.TotalSeconds:0.0} s after its restart ({spooledAtRestart} batch(es), {spoolBytesAtRestart / Math.Max(spooledPointsAtRestart, 1):0} spool bytes per point at restart, " +
            $"{replayed0 / Math.Max(catchUpTime.TotalSeconds, 0.001):0} points/s while the load went on); stored r0 {counts0.Values.Sum()}, r1 {counts1.Values.Sum()} messages");
    }

    /// <summary>"" when every station has each sequence number 1..published once on the replica, else what is wrong.</summary>
    private static async Task<string> MissingSequencesAsync(IngestionStack stack, int replica, LoadSummary summary)
    {
        var result = await stack.QueryOf(replica).QueryAsync("SELECT count(distinct(\"seq\")) AS n, min(\"seq\") AS lo, max(\"seq\") AS hi FROM \"station\" GROUP BY \"station\"");
        var problems = new List<string>();
        foreach (var series in result.Series)
        {
            var station = series.Tags["station"];
            var (n, lo, hi) = (series.Value(0, "n").GetInt64(), series.Value(0, "lo").GetInt64(), series.Value(0, "hi").GetInt64());
            var published = summary.PerStation.GetValueOrDefault(station);
            if (n != published || lo != 1 || hi != published)
                problems.Add($"r{replica} {station}: {n} distinct seq in {lo}..{hi}, published {published}");
        }

        return string.Join("; ", problems);
    }
}
