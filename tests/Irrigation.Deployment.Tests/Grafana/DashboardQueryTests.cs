using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Irrigation.Deployment.Tests.Grafana;

/// <summary>
/// Every query of every dashboard (panel targets, annotations, template variables), with Grafana's macros replaced,
/// run against an influxd filled by the real pipeline: it must run without an InfluxQL error and return data.
/// </summary>
public sealed partial class DashboardQueryTests : IClassFixture<FilledInflux>
{
    /// <summary>
    /// The measurements the dashboards read, and whether the test pipeline writes them. A query over a measurement
    /// that is not yet written must still parse and run; it cannot return data.
    /// </summary>
    private static readonly Dictionary<string, bool> MustReturnData = new(StringComparer.Ordinal)
    {
        ["station"] = true,
        ["pump"] = true,
        ["station_status"] = true,
        ["command"] = true,
        ["alarm"] = true,
        ["energy_daily"] = true,
        ["data_loss"] = true,
    };

    /// <summary>Custom variables whose dashboard default would hide the test's data: the gap threshold (300 s) is set below the 6-second drop.</summary>
    private static readonly Dictionary<string, string> Overrides = new(StringComparer.Ordinal) { ["gap_s"] = "3" };

    private readonly FilledInflux _influx;

    public DashboardQueryTests(FilledInflux influx)
    {
        _influx = influx;
    }

    public static TheoryData<string> QueryIds()
    {
        var data = new TheoryData<string>();
        foreach (var query in DashboardFile.AllQueries())
            data.Add(query.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(QueryIds))]
    public async Task Query_AgainstPipelineData_RunsAndReturnsData(string id)
    {
        var query = DashboardFile.AllQueries().Single(q => q.Id == id);
        // Daily accounting points are stamped at the Beijing midnight that starts the day, up to 24 h back: those
        // queries look two days back (the energy dashboard itself opens on 30 days).
        var range = Measurements(query.Query).Contains("energy_daily") ? 2 * 86_400 : GrafanaMacros.RangeSeconds;
        var text = GrafanaMacros.Substitute(query.Query, Variables(query.Dashboard), query.MinInterval, range);
        var measurements = Measurements(text);
        Assert.NotEmpty(measurements);
        foreach (var measurement in measurements)
            Assert.True(MustReturnData.ContainsKey(measurement), $"{id}: reads measurement '{measurement}', which is not in the schema (docs/influx-schema.md): {text}");

        var body = await _influx.Pipeline.QueryAsync(text);
        var result = body["results"]?[0];
        Assert.True(body["error"] is null && result?["error"] is null, $"{id}: InfluxQL error {body["error"] ?? result?["error"]}\n{text}");
        if (measurements.All(m => MustReturnData[m]))
            Assert.True(HasValue(result), $"{id}: returned no data\n{text}\n{body.ToJsonString()}");
    }

    /// <summary>
    /// The active-alarm count gives the right number, not just a number: an alarm acknowledged after it cleared is
    /// not active; one acknowledged while its condition holds still is.
    /// </summary>
    [Fact]
    public async Task ActiveAlarms_CountsRaisedSeries_AcknowledgedAfterClearingIsNotActive()
    {
        var query = DashboardFile.AllQueries().Single(q => q.Id == "fleet-overview.json / 活动告警 Active alarms / A");
        var influxd = _influx.Pipeline.Influxd;
        var database = await influxd.CreateDatabaseAsync("alarms");
        var t = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeMilliseconds();
        string Event(string station, string rule, string @event, int minute) =>
            $"alarm,station={station},rule={rule},severity=major,event={@event} id=\"{station}-{rule}\",message=\"m\",value=1 {t + (minute * 60_000)}";
        string[] lines =
        [
            Event("s1", "mains_lost", "raised", 0), Event("s1", "mains_lost", "cleared", 1), Event("s1", "mains_lost", "acknowledged", 2),
            Event("s2", "mains_lost", "raised", 0), Event("s2", "mains_lost", "acknowledged", 1),
            Event("s3", "comms_lost", "raised", 0),
            Event("s3", "low_sump", "raised", 0), Event("s3", "low_sump", "cleared", 1),
        ];
        using (var http = new HttpClient { BaseAddress = influxd.Url })
        using (var content = new StringContent(string.Join('\n', lines)))
        using (var response = await http.PostAsync(new Uri($"write?db={database}&precision=ms", UriKind.Relative), content))
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var body = JsonNode.Parse(await influxd.ExecuteAsync(query.Query, database))!;
        var count = body["results"]![0]!["series"]![0]!["values"]![0]![1]!.GetValue<long>();
        Assert.Equal(2, count);
    }

    /// <summary>
    /// The completeness figure's two queries give what Grafana divides: messages stored and messages recorded lost per
    /// station; stored / (stored + lost) is below 100 % by exactly the loss.
    /// </summary>
    [Fact]
    public async Task Completeness_StoredAndLostPerStation_GiveTheFigure()
    {
        var targets = DashboardFile.AllQueries().Where(q => q.Id.StartsWith("acceptance.json / 数据完整率 Data completeness / ", StringComparison.Ordinal)).ToDictionary(q => q.Id[^1..]);
        async Task<long> SumAsync(string refId)
        {
            var query = targets[refId];
            var body = await _influx.Pipeline.QueryAsync(GrafanaMacros.Substitute(query.Query, Variables(query.Dashboard), query.MinInterval, GrafanaMacros.RangeSeconds));
            return (long)body["results"]![0]!["series"]![0]!["values"]![0]![1]!.GetValue<double>();
        }

        var stored = await SumAsync("A");
        var lost = await SumAsync("B");

        Assert.Equal(FilledInflux.LostMessages, lost);
        Assert.True(stored >= 10, $"stored {stored}");
        var completeness = (double)stored / (stored + lost);
        Assert.InRange(completeness, 0.5, 0.999);
    }

    /// <summary>The fixture's 6-second drop of one station's devices really happened: a comms-lost alarm raised and cleared.</summary>
    [Fact]
    public async Task DroppedStation_RaisedAndClearedCommsLost()
    {
        var body = await _influx.Pipeline.QueryAsync(
            $"SELECT count(\"value\") FROM \"alarm\" WHERE \"station\" = '{_influx.DroppedStation}' AND \"rule\" = 'comms_lost' GROUP BY \"event\"");
        var events = (body["results"]?[0]?["series"]?.AsArray() ?? []).Select(s => (string)s!["tags"]!["event"]!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["cleared", "raised"], events);
    }

    [Fact]
    public void MustReturnData_CoversEveryMeasurementTheDashboardsRead()
    {
        var read = DashboardFile.AllQueries().SelectMany(q => Measurements(q.Query)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(MustReturnData.Keys.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    private Dictionary<string, string> Variables(string dashboardFile)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["station"] = _influx.Station };
        foreach (var variable in DashboardFile.Variables(DashboardFile.Load(Path.Combine(DashboardFile.Directory, dashboardFile))).Where(v => (string?)v["type"] == "custom"))
            variables[(string)variable["name"]!] = (string)variable["current"]!["value"]!;
        foreach (var (name, value) in Overrides)
            variables[name] = value;
        return variables;
    }

    /// <summary>Measurement names after FROM (the last part of "rp"."measurement"), subqueries included.</summary>
    public static IReadOnlyList<string> Measurements(string query) =>
        FromClause().Matches(query).Select(m => m.Groups["measurement"].Value).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>At least one row with a non-null value besides the time.</summary>
    private static bool HasValue(JsonNode? result) =>
        (result?["series"]?.AsArray() ?? []).Any(series =>
        {
            var columns = series!["columns"]!.AsArray().Select(c => (string)c!).ToArray();
            return (series["values"]?.AsArray() ?? []).Any(row => row!.AsArray().Where((_, i) => columns[i] != "time").Any(v => v is not null));
        });

    [GeneratedRegex(@"\bFROM\s+(?:""?\w+""?\.){0,2}""?(?<measurement>\w+)""?", RegexOptions.IgnoreCase)]
    private static partial Regex FromClause();
}
