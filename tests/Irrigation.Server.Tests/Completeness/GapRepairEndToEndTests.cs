using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests.Completeness;

/// <summary>
/// Nothing lost when two faults meet (issue 11): the server stopped, so mosquitto holds its session's queue; then the
/// broker killed with kill -9 (it saves rarely here: autosave once an hour), so that queue is gone; the gateway already
/// forgot it (the broker had acknowledged it). Real mosquitto, firmware-sim, gateway, server and influxd. The server
/// finds the gaps and the gateway publishes them again from its history: every sequence number ends up in InfluxDB,
/// exactly once. What the history no longer holds is recorded as loss — counted, never invented.
/// </summary>
[Collection("Integration")]
public sealed class GapRepairEndToEndTests(ITestOutputHelper output)
{
    private static SystemStackOptions Options(int stations)
    {
        var options = new SystemStackOptions { Stations = stations, BrokerConfig = "autosave_interval 3600" };
        options.ServerEnvironment["Irrigation__Completeness__GracePeriod"] = "00:00:02";
        options.ServerEnvironment["Irrigation__Completeness__RetryInterval"] = "00:00:05";
        options.ServerEnvironment["Irrigation__Completeness__CheckInterval"] = "00:00:00.500";
        return options;
    }

    [Fact]
    public async Task BrokerKilledHoldingABacklogForTheStoppedServer_GatewayKilledMeanwhile_EverySequenceNumberStoredOnce()
    {
        const int stations = 20;
        await using var stack = await SystemStack.StartAsync("gap-repair", Options(stations));
        using var viewer = await stack.SignInAsync("viewer");
        var first = await TrackedAsync(viewer, stations);
        // A graceful restart makes mosquitto save its sessions (the server's among them); what it queues from now on is
        // only in its memory until the next autosave, an hour away.
        await stack.Broker.StopAsync();
        await stack.Broker.RestartAsync();
        var before = await Poll.UntilAsync(() => CompletenessAsync(viewer), l => l.Count == stations && l.All(s => s.Contiguous > first.Single(f => f.Station == s.Station).Contiguous + 2), TimeSpan.FromSeconds(30));
        var epochs = before.ToDictionary(s => s.Station, s => s.Epoch);

        await stack.StopServerAsync();
        await Task.Delay(TimeSpan.FromSeconds(8));
        await stack.KillGatewayAsync(); // its sequence file is up to a minute old: numbering must go on from the history
        await stack.StartGatewayAsync();
        await Task.Delay(TimeSpan.FromSeconds(8));
        await stack.Broker.KillAsync(); // the server's queue of ~16 s × 20 stations, never saved, is gone
        await stack.Broker.RestartAsync();
        await stack.StartServerAsync();
        var restarted = Stopwatch.StartNew();

        using var again = await stack.SignInAsync("viewer");
        // Repaired: something came back into a gap and no gap is open any more.
        await Poll.UntilAsync(
            async () => PrometheusText.Parse(await again.GetStringAsync(new Uri("metrics", UriKind.Relative))),
            m => m["irrigation_telemetry_repaired_messages_total"] > 0 && m["irrigation_telemetry_gap_messages"] == 0, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(250));
        var repairTime = restarted.Elapsed;
        var settled = await SettledAsync(again, stations, before, TimeSpan.FromSeconds(90));
        var metrics = PrometheusText.Parse(await again.GetStringAsync(new Uri("metrics", UriKind.Relative)));
        var repaired = metrics["irrigation_telemetry_repaired_messages_total"];
        output.WriteLine($"repaired {repaired} message(s) of {stations} stations, no gap open {repairTime.TotalSeconds:0.0} s after the server restarted (grace 2 s); lost {metrics["irrigation_telemetry_lost_messages_total"]}; requests {metrics["irrigation_repair_requests_total"]}");

        Assert.True(repaired >= stations * 2, $"the broker's kill lost the backlog and it was repaired: {repaired}");
        Assert.Equal(0, metrics["irrigation_telemetry_lost_messages_total"]);
        Assert.All(settled, s => Assert.Equal(epochs[s.Station], s.Epoch)); // the gateway's restart kept the stream
        await AssertStoredExactlyOnceAsync(stack, settled);
    }

    [Fact]
    public async Task BrokerForgetsTheServersSession_GapRepaired()
    {
        const int stations = 3;
        await using var stack = await SystemStack.StartAsync("gap-session", Options(stations));
        using var viewer = await stack.SignInAsync("viewer");
        var before = await TrackedAsync(viewer, stations);

        await stack.StopServerAsync();
        await Task.Delay(TimeSpan.FromSeconds(6));
        await stack.Broker.StopAsync();
        foreach (var file in Directory.EnumerateFiles(stack.Broker.Directory, "*.db"))
            File.Delete(file); // a broker rebuilt from scratch: no sessions, nothing queued
        await stack.Broker.RestartAsync();
        await stack.StartServerAsync();

        using var again = await stack.SignInAsync("viewer");
        var settled = await SettledAsync(again, stations, before, TimeSpan.FromSeconds(60));
        var metrics = PrometheusText.Parse(await again.GetStringAsync(new Uri("metrics", UriKind.Relative)));

        Assert.True(metrics["irrigation_telemetry_repaired_messages_total"] >= stations, $"repaired {metrics["irrigation_telemetry_repaired_messages_total"]}");
        Assert.Equal(0, metrics["irrigation_telemetry_lost_messages_total"]);
        await AssertStoredExactlyOnceAsync(stack, settled);
    }

    [Fact]
    public async Task GapOlderThanTheGatewaysHistory_RecordedAsLossExactly_NothingInvented()
    {
        await using var stack = await SystemStack.StartAsync("gap-loss", Options(1));
        using var viewer = await stack.SignInAsync("viewer");
        var before = await TrackedAsync(viewer, 1);

        await stack.StopServerAsync();
        await Task.Delay(TimeSpan.FromSeconds(10));
        await stack.StopGatewayAsync();
        await stack.Broker.KillAsync(); // the server's backlog is gone from the broker ...
        Directory.Delete(Path.Combine(stack.GatewayDataDirectory, "history"), recursive: true); // ... and from the gateway's history (as if expired)
        await stack.Broker.RestartAsync();
        await stack.StartGatewayAsync();
        await stack.StartServerAsync();

        using var again = await stack.SignInAsync("viewer");
        var settled = await SettledAsync(again, 1, before, TimeSpan.FromSeconds(60));
        var station = JsonNode.Parse(await again.GetStringAsync(new Uri("api/stations/st001/completeness", UriKind.Relative)))!;
        var lost = station["lost"]!.GetValue<long>();
        var losses = station["losses"]!.AsArray();
        output.WriteLine($"lost {lost}: {station["losses"]!.ToJsonString()}");

        Assert.True(lost >= 1, $"the gap was reported as loss: {station.ToJsonString()}");
        Assert.Equal(lost, losses.Sum(l => l!["messages"]!.GetValue<long>()));
        Assert.All(losses, l => Assert.Equal("not_in_history", l!["reason"]!.GetValue<string>()));
        var (min, count) = (await StoredAsync(stack, settled))["st001"];
        var contiguous = settled.Single().Contiguous;
        Assert.Equal(contiguous - min + 1 - lost, count); // stored + lost = every number; nothing invented to fill the gap
        var recorded = await Poll.UntilAsync(
            () => stack.Influxd.ExecuteAsync("SELECT sum(\"messages\") FROM \"data_loss\" WHERE \"station\" = 'st001'", stack.Database),
            body => body.Contains("\"values\"", StringComparison.Ordinal) && LossSum(body) == lost, TimeSpan.FromSeconds(15)); // a loss in several entries lands point by point
        Assert.Equal(lost, LossSum(recorded));
    }

    private static long LossSum(string body) =>
        JsonNode.Parse(body)?["results"]?[0]?["series"]?[0]?["values"]?[0]?[1]?.GetValue<double>() is { } sum ? (long)sum : -1;

    internal sealed record Tracked(string Station, string Epoch, long Contiguous, long Highest, long Open);

    private static async Task<List<Tracked>> CompletenessAsync(HttpClient client)
    {
        var list = JsonNode.Parse(await client.GetStringAsync(new Uri("api/completeness", UriKind.Relative)))!.AsArray();
        return list.Select(s => new Tracked(s!["station"]!.GetValue<string>(), s["epoch"]!.GetValue<string>(), s["contiguous"]!.GetValue<long>(),
            s["highest"]!.GetValue<long>(), s["openMessages"]!.GetValue<long>())).ToList();
    }

    /// <summary>Waits until the server tracks every station with some telemetry stored.</summary>
    private static Task<List<Tracked>> TrackedAsync(HttpClient client, int stations) =>
        Poll.UntilAsync(() => CompletenessAsync(client), l => l.Count == stations && l.All(s => s.Contiguous > 0), TimeSpan.FromSeconds(60));

    /// <summary>Waits until every station's watermark is past where it stood before the faults with no gap open.</summary>
    private static Task<List<Tracked>> SettledAsync(HttpClient client, int stations, List<Tracked> before, TimeSpan timeout)
    {
        var floor = before.ToDictionary(s => s.Station, s => s.Contiguous);
        return Poll.UntilAsync(() => CompletenessAsync(client),
            l => l.Count == stations && l.All(s => s.Open == 0 && s.Contiguous > floor[s.Station] + 20), timeout);
    }

    /// <summary>Per station: the lowest sequence number stored and how many points lie between it and the watermark.</summary>
    private static async Task<Dictionary<string, (long Min, long Count)>> StoredAsync(SystemStack stack, List<Tracked> settled)
    {
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        var mins = JsonNode.Parse(await stack.Influxd.ExecuteAsync("SELECT min(\"seq\") FROM \"station\" GROUP BY \"station\"", stack.Database))!;
        foreach (var series in mins["results"]![0]!["series"]!.AsArray())
        {
            var station = series!["tags"]!["station"]!.GetValue<string>();
            var min = (long)series["values"]![0]![1]!.GetValue<double>();
            var top = settled.Single(s => s.Station == station).Contiguous;
            var counted = JsonNode.Parse(await stack.Influxd.ExecuteAsync(
                string.Create(CultureInfo.InvariantCulture, $"SELECT count(\"seq\") FROM \"station\" WHERE \"station\" = '{station}' AND \"seq\" >= {min} AND \"seq\" <= {top}"), stack.Database))!;
            result[station] = (min, (long)counted["results"]![0]!["series"]![0]!["values"]![0]![1]!.GetValue<double>());
        }

        return result;
    }

    /// <summary>Every number from the first stored to the watermark is in InfluxDB exactly once: none missing, none reused.</summary>
    private async Task AssertStoredExactlyOnceAsync(SystemStack stack, List<Tracked> settled)
    {
        var stored = await StoredAsync(stack, settled);
        Assert.Equal(settled.Count, stored.Count);
        foreach (var s in settled)
        {
            var (min, count) = stored[s.Station];
            output.WriteLine($"{s.Station}: seq {min}..{s.Contiguous}, {count} stored, {s.Contiguous - min + 1 - count} missing");
            Assert.Equal(s.Contiguous - min + 1, count);
        }
    }
}
