using Irrigation.Server.Storage;
using Irrigation.Server.Ingestion;
using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests;

/// <summary>The database, retention policies and continuous queries the server creates at start, against a real influxd.</summary>
[Collection("Integration")]
public sealed class InfluxSchemaTests
{
    private static async Task<List<(string Name, bool Default)>> RetentionPoliciesAsync(IngestionStack stack)
    {
        var result = await stack.Query.QueryAsync($"SHOW RETENTION POLICIES ON \"{stack.Database}\"");
        var series = result.Series.Single();
        return [.. Enumerable.Range(0, series.Values.Count).Select(i => (series.Value(i, "name").GetString()!, series.Value(i, "default").GetBoolean()))];
    }

    private static async Task<List<(string Name, string Query)>> ContinuousQueriesAsync(IngestionStack stack)
    {
        var result = await stack.Query.QueryAsync("SHOW CONTINUOUS QUERIES");
        var series = result.Series.Single(s => s.Name == stack.Database);
        return [.. Enumerable.Range(0, series.Values.Count).Select(i => (series.Value(i, "name").GetString()!, series.Value(i, "query").GetString()!))];
    }

    private static void AssertSchema(List<(string Name, bool Default)> policies, List<(string Name, string Query)> queries, string database)
    {
        Assert.Equal([("raw", true), ("rollup_1h", false), ("rollup_1m", false)], policies.OrderBy(p => p.Name, StringComparer.Ordinal));
        Assert.Equal(["cq_pump_1h", "cq_pump_1m", "cq_station_1h", "cq_station_1m"], queries.Select(q => q.Name).Order(StringComparer.Ordinal));
        var station1m = queries.Single(q => q.Name == "cq_station_1m").Query;
        Assert.Contains($"INTO {database}.rollup_1m.station FROM {database}.raw.station", station1m, StringComparison.Ordinal);
        Assert.Contains("GROUP BY time(1m), *", station1m, StringComparison.Ordinal);
        Assert.Contains($"INTO {database}.rollup_1h.pump FROM {database}.raw.pump", queries.Single(q => q.Name == "cq_pump_1h").Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_FreshInfluxd_CreatesRetentionPoliciesAndContinuousQueries()
    {
        await using var stack = await IngestionStack.StartAsync("schema");

        var policies = await RetentionPoliciesAsync(stack);
        var queries = await ContinuousQueriesAsync(stack);

        AssertSchema(policies, queries, stack.Database);
        Assert.Equal(InfluxSchema.ContinuousQueries(stack.Database).Select(q => q.Name).Order(StringComparer.Ordinal), queries.Select(q => q.Name).Order(StringComparer.Ordinal));
        var duration = (await stack.Query.QueryAsync($"SHOW RETENTION POLICIES ON \"{stack.Database}\"")).Series.Single();
        var raw = Enumerable.Range(0, duration.Values.Count).Single(i => duration.Value(i, "name").GetString() == "raw");
        Assert.Equal("2160h0m0s", duration.Value(raw, "duration").GetString()); // 90 days by default
    }

    [Fact]
    public async Task Restart_SchemaAlreadyThere_NeitherFailsNorDuplicates()
    {
        await using var stack = await IngestionStack.StartAsync("schema-restart");
        var before = (await RetentionPoliciesAsync(stack), await ContinuousQueriesAsync(stack));

        var exitCode = await stack.StopServerAsync();
        Assert.True(exitCode == 0, $"graceful stop exited with {exitCode}:\n{stack.Server.Tail()}");
        await stack.StartServerAsync();
        await stack.KillServerAsync();
        await stack.StartServerAsync();

        var policies = await RetentionPoliciesAsync(stack);
        var queries = await ContinuousQueriesAsync(stack);
        AssertSchema(policies, queries, stack.Database);
        Assert.Equal(before.Item1, policies);
        Assert.Equal(before.Item2, queries);
        Assert.DoesNotContain(stack.Server.Lines, l => l.Contains("Cannot prepare InfluxDB schema", StringComparison.Ordinal) || l.Contains("Created", StringComparison.Ordinal));
        var databases = await stack.Query.QueryAsync("SHOW DATABASES");
        Assert.Single(databases.Series.Single().Values, row => row[0].GetString() == stack.Database);
    }
}
