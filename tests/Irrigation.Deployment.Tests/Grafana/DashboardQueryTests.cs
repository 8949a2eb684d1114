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
