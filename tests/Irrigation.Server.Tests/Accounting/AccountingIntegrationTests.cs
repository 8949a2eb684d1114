using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests;

/// <summary>
/// Daily accounting end to end with real processes: telemetry published to mosquitto with gateway timestamps around a
/// Beijing midnight three days ago, ingested by the real server into influxd, accounted by its background service into
/// energy_daily (rollup_1h), and read back through the API.
/// </summary>
[Collection("SystemFlows")]
public sealed class AccountingIntegrationTests
{
    private const string Station = "acc01";
    private readonly ITestOutputHelper _output;

    public AccountingIntegrationTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Energy_ReplayedLateAcrossBeijingMidnightWithMeterReplacementAndReset_ExactDailyFiguresInApiAndInflux()
    {
        await using var stack = await IngestionStack.StartAsync("accounting");
        // Accounting every second over today only, and a calibrated coefficient: appsettings.json in the server's working
        // directory (its content root), read on the restart. The days below are replayed late — older than any pass
        // covers — so only the late-telemetry widening can account them.
        Assert.Equal(0, await stack.StopServerAsync());
        await File.WriteAllTextAsync(Path.Combine(stack.Directory, "appsettings.json"), $$"""
            { "Irrigation": { "Accounting": { "Interval": "00:00:01", "Days": 1, "DaysOnStart": 1, "WaterPerKwh": { "{{Station}}": 10 } } } }
            """);
        await stack.StartServerAsync();

        // Beijing midnight computed here independently of the server: UTC+8 all year.
        var today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8));
        var day1 = today.AddDays(-3);
        var day2 = today.AddDays(-2);
        var midnight = new DateTimeOffset(day2.ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(8)).ToUnixTimeMilliseconds();
        var seq = 0;
        foreach (var row in AccountingScenario.Rows)
            await stack.PublishAsync($"irrigation/{Station}/telemetry", Telemetry(++seq, midnight + row.Minute * 60_000L, row));

        var body = await Poll.UntilAsync(EnergyAsync, b => Day(b, day1)?["kwh"]?.GetValue<double>() == 8 && Day(b, day2)?["kwh"]?.GetValue<double>() == 15,
            TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        _output.WriteLine(body.ToJsonString());
        var d1 = Day(body, day1);
        var d2 = Day(body, day2);
        Assert.True(d1 is not null && d2 is not null, body.ToJsonString() + await stack.DiagnosticsAsync());
        Assert.Equal(Station, body["station"]!.GetValue<string>());
        Assert.Equal(10, body["waterPerKwh"]!.GetValue<double>());
        Assert.True(body["waterPerKwhCalibrated"]!.GetValue<bool>());
        Assert.Equal(5, body["days"]!.AsArray().Count);
        Assert.Null(Day(body, today)!["kwh"]);

        // Day 1: 8 kWh, all of it pump 1's (the only one running); day 2: 4 + 4 + (replaced meter) 3 + (reset) 1 + 3 = 15.
        Assert.Equal(
            """{"date":"DAY1","start":START1,"kwh":8,"waterM3":80,"waterM3Meter":80,"runningHours":0.75,"starts":0,"pumps":[{"number":1,"runningHours":0.75,"starts":0,"kwh":8,"waterM3":80},{"number":2,"runningHours":0,"starts":0,"kwh":0,"waterM3":0}]}"""
                .Replace("DAY1", day1.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("START1", (midnight - 86_400_000).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
            d1!.ToJsonString());
        Assert.Equal(
            """{"date":"DAY2","start":START2,"kwh":15,"waterM3":150,"waterM3Meter":70,"runningHours":1.75,"starts":1,"pumps":[{"number":1,"runningHours":1,"starts":0,"kwh":6,"waterM3":60},{"number":2,"runningHours":0.75,"starts":1,"kwh":9,"waterM3":90}]}"""
                .Replace("DAY2", day2.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("START2", midnight.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
            d2!.ToJsonString());

        // The stored points: at the Beijing midnights, one per station/pump and day however often the days were rewritten.
        var stored = await stack.Query.QueryAsync("SELECT \"kwh\", \"water_m3_meter\", \"running_hours\", \"starts\" FROM \"rollup_1h\".\"energy_daily\" WHERE \"station\" = $station GROUP BY \"pump\"",
            new Dictionary<string, object?> { ["station"] = Station });
        var total = stored.Series.Single(s => s.Tags["pump"] == "0");
        Assert.Equal([midnight - 86_400_000, midnight], total.Values.Select(r => r[0].GetInt64()));
        Assert.Equal([8.0, 15.0], total.Values.Select(r => r[total.ColumnIndex("kwh")].GetDouble()));
        Assert.Equal([80.0, 70.0], total.Values.Select(r => r[total.ColumnIndex("water_m3_meter")].GetDouble()));
        Assert.Equal([0L, 1L], total.Values.Select(r => r[total.ColumnIndex("starts")].GetInt64()));
        var pump2 = stored.Series.Single(s => s.Tags["pump"] == "2");
        Assert.Equal([0.0, 9.0], pump2.Values.Select(r => r[pump2.ColumnIndex("kwh")].GetDouble()));
        Assert.Equal(3, stored.Series.Count());
        // The late days reached the roll-ups too (continuous queries only roll up the interval that just ended): every
        // replayed message is counted in both, as the acceptance dashboard counts them.
        // Each accounting pass backfills the roll-ups before it recomputes the days, so the last rows can reach
        // energy_daily one pass (1 s) before the roll-ups: wait for them.
        foreach (var policy in new[] { "rollup_1m", "rollup_1h" })
        {
            var counted = await Poll.UntilAsync(
                async () => (await stack.Query.QueryAsync($"SELECT sum(\"messages\") FROM \"{policy}\".\"station\" WHERE \"station\" = $station",
                    new Dictionary<string, object?> { ["station"] = Station })).Series.SingleOrDefault()?.Values.Single()[1].GetInt64() ?? 0,
                n => n == AccountingScenario.Rows.Length, TimeSpan.FromSeconds(30));
            Assert.Equal(AccountingScenario.Rows.Length, counted);
        }

        var fields = await stack.Query.QueryAsync("SHOW FIELD KEYS FROM \"rollup_1h\".\"energy_daily\"");
        var types = fields.Series.Single().Values.ToDictionary(r => r[0].GetString()!, r => r[1].GetString());
        Assert.Equal("integer", types["starts"]);
        Assert.Equal("float", types["kwh"]);

        // The reports state the same figures as the energy API for the replayed days (a meter replacement and a reset on
        // day 2), both in the day's 日报 and in the month's 月报 rows; the day's kWh is split over tariff periods without loss.
        foreach (var (date, energy) in new[] { (day1, d1), (day2, d2) })
        {
            var dayReport = await ReportAsync(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            var monthReport = await ReportAsync(date.ToString("yyyy-MM", CultureInfo.InvariantCulture));
            foreach (var row in new[] { dayReport["total"]!, monthReport["rows"]!.AsArray().Single(r => r!["key"]!.GetValue<string>() == energy["date"]!.GetValue<string>())! })
            {
                Assert.Equal(energy["kwh"]!.GetValue<double>(), row["kwh"]!.GetValue<double>());
                Assert.Equal(energy["waterM3"]!.GetValue<double>(), row["waterM3"]!.GetValue<double>());
                Assert.Equal(energy["runningHours"]!.GetValue<double>(), row["runHours"]!.GetValue<double>());
                Assert.Equal(energy["starts"]!.GetValue<long>(), row["starts"]!.GetValue<long>());
                Assert.Equal((10.0, "calibrated"), (row["waterPerKwh"]!.GetValue<double>(), row["coefficientSource"]!.GetValue<string>()));
                Assert.Equal(energy["kwh"]!.GetValue<double>(), row["kwhByTariff"]!.AsObject().Sum(k => k.Value!.GetValue<double>()), 3);
            }
        }

        // The API's errors are problem documents.
        using var unknown = await stack.Http.GetAsync(new Uri("api/stations/nosuch/energy", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("station_not_found", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var bad = await stack.Http.GetAsync(new Uri($"api/stations/{Station}/energy?days=0", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("invalid_days", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        async Task<JsonObject> ReportAsync(string period)
        {
            using var response = await stack.Http.GetAsync(new Uri($"api/reports/stations/{Station}?period={period}", UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
            return JsonNode.Parse(text)!.AsObject();
        }

        async Task<JsonObject> EnergyAsync()
        {
            using var response = await stack.Http.GetAsync(new Uri($"api/stations/{Station}/energy?days=5", UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
            return JsonNode.Parse(text)!.AsObject();
        }
    }

    private static JsonNode? Day(JsonObject body, DateOnly date) =>
        body["days"]!.AsArray().FirstOrDefault(d => d!["date"]!.GetValue<string>() == date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    private static string Telemetry(int seq, long ts, AccountingScenario.Row row)
    {
        var values = new JsonObject
        {
            ["forward_energy"] = new JsonObject { ["v"] = row.Energy, ["u"] = "kWh" },
            ["flow_total"] = new JsonObject { ["v"] = row.Flow, ["u"] = "m³" },
        };
        for (var p = 0; p < row.Pumps.Length; p++)
        {
            var pump = row.Pumps[p];
            values[$"pump{p + 1}.running"] = new JsonObject { ["v"] = pump.Running, ["u"] = "" };
            values[$"pump{p + 1}.motor_current"] = new JsonObject { ["v"] = pump.Current, ["u"] = "A" };
            values[$"pump{p + 1}.starts"] = new JsonObject { ["v"] = pump.Starts, ["u"] = "" };
            values[$"pump{p + 1}.run_hours"] = new JsonObject { ["v"] = pump.RunHours, ["u"] = "h" };
        }

        return new JsonObject
        {
            ["v"] = 1, ["station"] = Station, ["site"] = "测试镇", ["gateway"] = "gw-acc", ["seq"] = seq, ["ts"] = ts, ["kind"] = "snapshot",
            ["replayed"] = false, ["quality"] = "good", ["devices"] = new JsonObject { ["meter"] = "good", ["controller"] = "good" }, ["values"] = values,
        }.ToJsonString();
    }
}
