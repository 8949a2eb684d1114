using System.Text;
using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests;

// Bad telemetry published with the real mosquitto_pub: counted per reason, and the loop keeps going.
public sealed partial class IngestionServiceTests
{
    /// <summary>A gateway configuration the gateway accepts (read strictly by both); the server takes only its "stations".</summary>
    private const string StationFile = """
        {
          "id": "gw-01",
          "mqtt": { "host": "127.0.0.1", "port": 1883 },
          "stations": [
            { "id": "st001", "name": "城东 1号泵站", "site": "城东镇", "endpoint": { "host": "127.0.0.1", "port": 502 } },
            { "id": "st002", "name": "城西 2号泵站", "site": "城西", "endpoint": { "host": "127.0.0.1", "port": 503 } }
          ]
        }
        """;

    private static string Telemetry(string station, long seq, long ts, string values = """{"voltage_a":{"v":229.8,"u":"V"},"flow_rate":{"v":12.5,"u":"m3/h"}}""") =>
        $$"""{"v":1,"station":"{{station}}","site":"城东镇","gateway":"gw-01","seq":{{seq}},"ts":{{ts}},"kind":"change","replayed":false,"quality":"good","values":{{values}}}""";

    [Fact]
    public async Task Ingest_MalformedPayloads_CountsEachReasonAndKeepsStoringValidTelemetry()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-malformed", StationFile);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var longStation = new string('城', 50); // 150 bytes of UTF-8 in the topic: used to throw out of the ingest loop

        await stack.PublishAsync("irrigation/st001/telemetry", "not json");
        await stack.PublishAsync("irrigation/st001/telemetry", """{"v":1,"station":"st001","seq":1,"values":{"voltage_a":{"v":1}}}""");
        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry("st001", 1, now).Replace("\"seq\":1,", "\"seq\":\"one\",", StringComparison.Ordinal));
        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry("st001", 1, now, values: """[{"voltage_a":229.8}]"""));
        await stack.PublishAsync("irrigation/st999/telemetry", Telemetry("st999", 1, now));
        await stack.PublishAsync("irrigation/st002/telemetry", Telemetry("st001", 1, now));
        await stack.PublishAsync($"irrigation/{longStation}/telemetry", Telemetry(longStation, 1, now));
        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry("st001", 1, now).Replace("\"v\":1,", "\"v\":2,", StringComparison.Ordinal));
        await stack.PublishAsync("irrigation/st001/telemetry", bytes: Encoding.UTF8.GetBytes(Telemetry("st001", 1, now, values: "{\"pad\":\"" + new string('x', 70_000) + "\"}")));
        // Over the client's former 1 MiB packet limit: it used to be a protocol violation, redelivered after every reconnect.
        await stack.PublishAsync("irrigation/st001/telemetry", bytes: Encoding.UTF8.GetBytes(Telemetry("st001", 1, now, values: "{\"pad\":\"" + new string('x', 2_000_000) + "\"}")));
        // Stored: one bad value (only it is dropped); a site that is not UTF-8 (the registry's site is used instead).
        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry("st001", 2, now + 1, values: """{"voltage_a":{"v":"high","u":"V"},"flow_rate":{"v":3.5,"u":"m3/h"}}"""));
        var notUtf8 = Encoding.UTF8.GetBytes(Telemetry("st002", 1, now + 2).Replace("城东镇", "\u0001\u0002", StringComparison.Ordinal));
        var bad = Array.IndexOf(notUtf8, (byte)1);
        notUtf8[bad] = 0xFF;
        notUtf8[bad + 1] = 0xFE;
        await stack.PublishAsync("irrigation/st002/telemetry", bytes: notUtf8);
        // Valid telemetry afterwards is stored: the loop kept going.
        await stack.PublishAsync("irrigation/st001/telemetry", Telemetry("st001", 3, now + 3));

        var counts = await Poll.UntilAsync(stack.CountsPerStationAsync, c => c.GetValueOrDefault("st001") == 2 && c.GetValueOrDefault("st002") == 1, TimeSpan.FromSeconds(30));
        var metrics = await Poll.UntilAsync(stack.MetricsAsync, m => m["irrigation_ingest_received_total"] >= 13, TimeSpan.FromSeconds(10));

        var diagnostics = await stack.DiagnosticsAsync();
        Assert.True(counts.GetValueOrDefault("st001") == 2 && counts.GetValueOrDefault("st002") == 1 && counts.Count == 2, string.Join(", ", counts) + "\n" + diagnostics);
        Assert.False(stack.Server.HasExited, diagnostics);
        double Dropped(string reason) => metrics[$"irrigation_ingest_dropped_total{{reason=\"{reason}\"}}"];
        Assert.Equal(1, Dropped("invalid_json"));
        Assert.Equal(1, Dropped("missing_timestamp"));
        Assert.Equal(2, Dropped("wrong_type"));
        Assert.Equal(1, Dropped("unknown_station"));
        Assert.Equal(2, Dropped("bad_station"));
        Assert.Equal(1, Dropped("unsupported_version"));
        Assert.Equal(2, Dropped("too_large"));
        Assert.Equal(1, Dropped("bad_value"));
        Assert.Equal(13, metrics["irrigation_ingest_received_total"]);
        Assert.Equal(3, metrics["irrigation_ingest_stored_total"]);

        // The kept value of the message with a bad one, and the registry's site for the message whose site was not text.
        var flow = await stack.Query.QueryAsync("SELECT \"flow_rate\", \"voltage_a\" FROM \"station\" WHERE \"station\" = 'st001' AND \"seq\" = 2");
        var row = flow.Series.Single().Values.Single();
        Assert.Equal(now + 1, row[0].GetInt64());
        Assert.Equal(3.5, row[1].GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row[2].ValueKind);
        var site = await stack.Query.QueryAsync("SELECT count(\"seq\") FROM \"station\" WHERE \"site\" = $site AND \"station\" = 'st002'", new Dictionary<string, object?> { ["site"] = "城西" });
        Assert.Equal(1, site.Series.Single().Value(0, "count").GetInt64());
        Assert.Equal(now + 3, (await stack.SelectAsync("last", "st001")).TimeMs);
        Assert.Equal(3, (await stack.SelectAsync("last", "st001")).Value);
    }

    [Fact]
    public async Task Ingest_MalformedRetainedStatus_KeepsIngestingAcrossARestart()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-bad-status");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var notUtf8 = Encoding.UTF8.GetBytes("""{"station":"st002","gateway":"gw-01","state":"??","since":1}""");
        notUtf8[Array.IndexOf(notUtf8, (byte)'?')] = 0xFF;

        // Retained, so every (re)start of the server receives them again on subscribing.
        await stack.PublishAsync("irrigation/st001/status", """{"station":"st001","gateway":"gw-01","state":"online","since":1.5}""", retain: true);
        await stack.PublishAsync("irrigation/st002/status", bytes: notUtf8, retain: true);
        await stack.PublishAsync("irrigation/gateways/gw-01/status", """{"gateway":"gw-01","state":"offline","ts":"later"}""", retain: true);
        await stack.PublishAsync("irrigation/st003/status", """{"station":"st003","gateway":"gw-02","state":"comms_lost","since":1763771000000}""", retain: true);
        await stack.PublishAsync("irrigation/st003/telemetry", Telemetry("st003", 1, now));
        var first = await Poll.UntilAsync(stack.CountsPerStationAsync, c => c.GetValueOrDefault("st003") == 1, TimeSpan.FromSeconds(20));
        Assert.True(first.GetValueOrDefault("st003") == 1, await stack.DiagnosticsAsync());

        await stack.StopServerAsync();
        await stack.StartServerAsync();
        await stack.PublishAsync("irrigation/st003/telemetry", Telemetry("st003", 2, now + 1));
        var counts = await Poll.UntilAsync(stack.CountsPerStationAsync, c => c.GetValueOrDefault("st003") == 2, TimeSpan.FromSeconds(20));

        Assert.True(counts.GetValueOrDefault("st003") == 2, await stack.DiagnosticsAsync());
        Assert.False(stack.Server.HasExited);
        var latest = await stack.Http.GetStringAsync(new Uri("api/stations/latest", UriKind.Relative));
        Assert.Contains("\"status\":\"comms_lost\"", latest, StringComparison.Ordinal);
    }
}
