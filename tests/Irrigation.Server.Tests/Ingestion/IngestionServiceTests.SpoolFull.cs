using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests;

public sealed partial class IngestionServiceTests
{
    /// <summary>
    /// InfluxDB down and the spool (2 MiB here) full: the server stops acknowledging and, its inbox (1,000 here) full,
    /// stops reading, so the broker holds the rest; and
    /// nothing is dropped; when InfluxDB returns, every published message is stored exactly once.
    /// </summary>
    [Fact]
    public async Task Ingest_InfluxdDownAndSpoolFull_BackPressureToTheBroker_NothingDroppedEverythingStoredAfterwards()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-spool-full", settings: new Dictionary<string, string>
        {
            ["Irrigation__Ingest__SpoolMaxBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Irrigation__Ingest__BatchPoints"] = "500",
            ["Irrigation__Mqtt__InboundCapacity"] = "1000",
        });
        await stack.Influxd.StopAsync();

        await using var load = stack.StartLoad(stations: 20, rate: 100, seconds: 10);
        var summary = await load.CompleteAsync();
        await Poll.UntilAsync(stack.MetricsAsync, _ => stack.Server.Lines.Any(l => l.Contains("is full", StringComparison.Ordinal)), TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var held = await stack.MetricsAsync();

        Assert.Contains(stack.Server.Lines, l => l.Contains("acknowledgements stop and the broker holds new telemetry", StringComparison.Ordinal));
        Assert.True(held["irrigation_spool_bytes"] <= 2 * 1024 * 1024, $"spool {held["irrigation_spool_bytes"]} bytes over its budget");
        Assert.True(held["irrigation_ingest_spooled_points_total"] < summary.Published, "everything fit the spool: nothing was held back");
        // Bounded memory: the server stopped taking messages; the rest waits at the broker.
        Assert.True(held["irrigation_ingest_received_total"] < summary.Published - 5000, $"received {held["irrigation_ingest_received_total"]} of {summary.Published}: the broker held nothing back");
        Assert.False(stack.Server.HasExited);

        await stack.Influxd.RestartAsync();
        var counts = await stack.WaitForCountsAsync(summary, CatchUp);
        var metrics = await Poll.UntilAsync(stack.MetricsAsync, m => m["irrigation_spool_pending_batches"] == 0, TimeSpan.FromSeconds(30));

        var differences = IngestionStack.CountDifferences(summary, counts);
        Assert.True(differences.Length == 0, differences + await stack.DiagnosticsAsync());
        Assert.Equal(0, metrics.Where(kv => kv.Key.StartsWith("irrigation_ingest_dropped_total", StringComparison.Ordinal)).Sum(kv => kv.Value));
        Assert.Equal(summary.Published, metrics["irrigation_ingest_stored_total"]);
        _output.WriteLine($"spool full: {summary.Published} published; while held: spooled {held["irrigation_ingest_spooled_points_total"]} point(s), spool {held["irrigation_spool_bytes"]} bytes, received {held["irrigation_ingest_received_total"]}; after InfluxDB returned all {counts.Values.Sum()} stored");
    }
}
