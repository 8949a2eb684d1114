using System.Globalization;
using System.Text.Json.Nodes;
using Irrigation.Contracts;

namespace Irrigation.Deployment.Tests.Grafana;

/// <remarks>
/// The acceptance dashboard and the server's reports state the same completeness, online rate and command success for
/// the same data: the dashboard's own queries (grafana/dashboards/acceptance.json) over the report's Beijing day, side
/// by side with the daily report of the station, on the pipeline's data (commands, a recorded loss, availability).
/// In the dashboard query tests' class, so both use the one filled influxd.
/// </remarks>
public sealed partial class DashboardQueryTests
{
    private const int Attempts = 20;

    [Fact]
    public async Task DailyReport_AndAcceptanceDashboard_SameCompletenessOnlineRateAndCommandSuccess()
    {
        var day = BeijingTime.DateOf(DateTimeOffset.UtcNow);
        long from = BeijingTime.StartOfMs(day), to = BeijingTime.StartOfMs(day.AddDays(1));
        using var api = await _influx.Pipeline.SignInAsync();

        // The pipeline keeps running (availability is sampled every 2 s): compare only a report read between two identical dashboard reads.
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var before = await DashboardAsync(from, to);
            var report = JsonNode.Parse(await api.GetStringAsync(new Uri($"api/reports/stations/{_influx.Station}?period={day:yyyy-MM-dd}", UriKind.Relative)))!["total"]!;
            var after = await DashboardAsync(from, to);
            if (before != after)
                continue;

            Assert.Equal(FilledInflux.LostMessages, before.Lost);
            Assert.True(before.Commands >= 2, $"commands {before.Commands}");
            Assert.Equal(before.Stored, report["messagesStored"]!.GetValue<long>());
            Assert.Equal(before.Lost, report["messagesLost"]!.GetValue<long>());
            Assert.Equal(Math.Round(100.0 * before.Stored / (before.Stored + before.Lost), 2), report["completenessPercent"]!.GetValue<double>());
            Assert.Equal(Math.Round(before.OnlinePercent, 2), report["onlinePercent"]!.GetValue<double>());
            Assert.Equal(before.Commands, report["commands"]!.GetValue<int>());
            Assert.Equal(before.Succeeded, report["commandsSucceeded"]!.GetValue<int>());
            Assert.Equal(Math.Round(100.0 * before.Succeeded / before.Commands, 2), report["commandSuccessPercent"]!.GetValue<double>());
            return;
        }

        Assert.Fail($"the data changed between the dashboard's reads in all {Attempts} attempts");
    }

    private sealed record Figures(long Stored, long Lost, double OnlinePercent, long Commands, long Succeeded);

    /// <summary>The acceptance dashboard's completeness, daily online rate and command panels, over [from, to).</summary>
    private async Task<Figures> DashboardAsync(long from, long to)
    {
        var queries = DashboardFile.AllQueries().Where(q => q.Dashboard == "acceptance.json").ToDictionary(q => q.Id, StringComparer.Ordinal);
        async Task<JsonArray> SeriesAsync(string id)
        {
            var query = queries[$"acceptance.json / {id}"];
            var text = GrafanaMacros.Substitute(query.Query.Replace("$timeFilter", string.Create(CultureInfo.InvariantCulture, $"time >= {from}ms AND time < {to}ms"), StringComparison.Ordinal),
                new Dictionary<string, string>(StringComparer.Ordinal) { ["station"] = _influx.Station }, query.MinInterval);
            var body = await _influx.Pipeline.QueryAsync(text);
            Assert.True(body["results"]?[0]?["error"] is null, $"{id}: {body.ToJsonString()}");
            return body["results"]?[0]?["series"]?.AsArray() ?? [];
        }

        static double First(JsonArray series, int column = 1) => series.Count == 0 ? 0 : series[0]!["values"]![0]![column]!.GetValue<double>();
        var stored = (long)First(await SeriesAsync("数据完整率 Data completeness / A"));
        var lost = (long)First(await SeriesAsync("数据完整率 Data completeness / B"));
        var online = (await SeriesAsync("日在线率 Online rate per day (%) / A")).SelectMany(s => s!["values"]!.AsArray())
            .Single(v => DateTimeOffset.Parse(v![0]!.GetValue<string>(), CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() == from)![1]!.GetValue<double>();
        long commands = 0, succeeded = 0;
        foreach (var series in await SeriesAsync("命令统计 Commands per station / A"))
        {
            var count = (long)series!["values"]![0]![1]!.GetValue<double>();
            commands += count;
            if ((string?)series["tags"]!["outcome"] == "succeeded")
                succeeded += count;
        }

        return new Figures(stored, lost, online, commands, succeeded);
    }
}
