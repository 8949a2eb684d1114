using System.Net;
using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests;

/// <summary>/health/live, /health/ready and /api/stations/latest of the running server program.</summary>
[Collection("Integration")]
public sealed class OperationsApiTests
{
    private static string Telemetry(long seq, long ts, double voltage) =>
        $$"""{"v":1,"station":"st001","site":"城东镇","gateway":"gw-01","seq":{{seq}},"ts":{{ts}},"kind":"change","replayed":false,"quality":"partial","values":{"voltage_a":{"v":{{voltage.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"u":"V"},"pump1.running":{"v":1,"u":""}""" + "}}";

    private static async Task<JsonObject?> StationAsync(IngestionStack stack, string id)
    {
        var stations = JsonNode.Parse(await stack.Http.GetStringAsync(new Uri("api/stations/latest", UriKind.Relative)))!.AsArray();
        return stations.Select(s => s!.AsObject()).SingleOrDefault(s => s["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Health_Running_LiveAndReadyOnceConnectedNotReadyWithoutTheBroker()
    {
        await using var stack = await IngestionStack.StartAsync("health");

        using (var live = await stack.Http.GetAsync(new Uri("health/live", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var ready = await stack.ReadyAsync();
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("ready", ready.Body["status"]!.GetValue<string>());
        Assert.True(ready.Body["mqtt"]!.GetValue<bool>());
        Assert.True(ready.Body["mqttSubscribed"]!.GetValue<bool>());
        Assert.Equal($"127.0.0.1:{stack.Broker.Port}", ready.Body["mqttBroker"]!.GetValue<string>());
        Assert.True(ready.Body["influx"]!.GetValue<bool>());

        await stack.Broker.StopAsync();
        var withoutBroker = await Poll.UntilAsync(stack.ReadyAsync, r => r.Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, withoutBroker.Status);
        Assert.False(withoutBroker.Body["mqtt"]!.GetValue<bool>());
        Assert.False(withoutBroker.Body["mqttSubscribed"]!.GetValue<bool>());
        Assert.Null(withoutBroker.Body["mqttBroker"]);
        using (var live = await stack.Http.GetAsync(new Uri("health/live", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.OK, live.StatusCode); // alive, only not ready

        await stack.Broker.RestartAsync();
        var again = await Poll.UntilAsync(stack.ReadyAsync, r => r.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, again.Status);
    }

    [Fact]
    public async Task StationsLatest_AfterTelemetry_ShowsTheNewestValues()
    {
        await using var stack = await IngestionStack.StartAsync("latest");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry(1, now, 229.8));
        var first = await Poll.UntilAsync(() => StationAsync(stack, "st001"), s => s is not null, TimeSpan.FromSeconds(15));
        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry(2, now + 2000, 231.5));
        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry(3, now + 1000, 100)); // late: older than the newest
        await Poll.UntilAsync(stack.MetricsAsync, m => m["irrigation_ingest_stored_total"] >= 3, TimeSpan.FromSeconds(15));
        var station = (await StationAsync(stack, "st001"))!;

        Assert.NotNull(first);
        Assert.Equal(now + 2000, station["lastTelemetryMs"]!.GetValue<long>());
        var voltage = station["values"]!["voltage_a"]!;
        Assert.Equal(231.5, voltage["value"]!.GetValue<double>());
        Assert.Equal(now + 2000, voltage["ts"]!.GetValue<long>());
        Assert.Equal(1, station["values"]!["pump1.running"]!["value"]!.GetValue<double>());

        // Ingestion goes on after a broker restart (persistent session, subscriptions kept).
        await stack.Broker.StopAsync();
        await stack.Broker.RestartAsync();
        await Poll.UntilAsync(stack.ReadyAsync, r => r.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry(4, now + 3000, 232));
        var after = await Poll.UntilAsync(() => StationAsync(stack, "st001"), s => s!["lastTelemetryMs"]!.GetValue<long>() == now + 3000, TimeSpan.FromSeconds(30));
        Assert.Equal(232, after!["values"]!["voltage_a"]!["value"]!.GetValue<double>());
    }
}
