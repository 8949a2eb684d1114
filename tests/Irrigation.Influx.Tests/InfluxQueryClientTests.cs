using Irrigation.Influx.Query;
using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;

namespace Irrigation.Influx.Tests;

/// <summary>InfluxQL against a real influxd 1.6: bound parameters, errors, statements that change things.</summary>
public sealed class InfluxQueryClientTests(InfluxdFixture influx) : IClassFixture<InfluxdFixture>
{
    private const string Injection = "x' OR '1'='1";

    private async Task<(string Db, long T)> SeedAsync()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        var t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var client = new InfluxWriteClient(influx.WriteOptions(db));
        await client.WriteAsync(Lines.Utf8(
            $"pump,station=east flow=1.5,running=true,starts=3i,state=\"ok\" {t}",
            $"pump,station=west flow=2.5,running=false,starts=4i,state=\"stopped\" {t + 1}",
            $"pump,station=x'\\ OR\\ '1'\\='1 flow=9.5,running=true,starts=5i,state=\"odd\" {t + 2}"), 3, CancellationToken.None);
        return (db, t);
    }

    [Fact]
    public async Task QueryAsync_BoundStation_ReturnsOnlyThatStationWithMillisecondTimes()
    {
        var (db, t) = await SeedAsync();
        using var query = influx.QueryClient(db);

        var result = await query.QueryAsync("SELECT * FROM pump WHERE \"station\" = $station", new Dictionary<string, object?> { ["station"] = "east" });

        var series = Assert.Single(result.Series);
        Assert.Equal("pump", series.Name);
        var row = Assert.Single(series.Values);
        Assert.Equal(t, series.Value(0, "time").GetInt64());
        Assert.Equal(1.5, series.Value(0, "flow").GetDouble());
        Assert.True(series.Value(0, "running").GetBoolean());
        Assert.Equal(3, series.Value(0, "starts").GetInt64());
        Assert.Equal("ok", series.Value(0, "state").GetString());
        Assert.Equal(series.Columns.Count, row.Length);
    }

    [Fact]
    public async Task QueryAsync_InjectionAttemptAsBoundValue_MatchesOnlyThatLiteralString()
    {
        var (db, _) = await SeedAsync();
        using var query = influx.QueryClient(db);

        var literal = await query.QueryAsync("SELECT * FROM pump WHERE \"station\" = $station", new Dictionary<string, object?> { ["station"] = Injection });
        var other = await query.QueryAsync("SELECT * FROM pump WHERE \"station\" = $station", new Dictionary<string, object?> { ["station"] = "y' OR '1'='1" });

        var series = Assert.Single(literal.Series);
        Assert.Equal(Injection, series.Value(0, "station").GetString());
        Assert.Single(series.Values);
        Assert.Empty(other.Series);
    }

    [Fact]
    public async Task QueryAsync_GroupByTag_ReturnsSeriesTags()
    {
        var (db, _) = await SeedAsync();
        using var query = influx.QueryClient(db);

        var result = await query.QueryAsync("SELECT last(flow) FROM pump WHERE time >= $from GROUP BY station",
            new Dictionary<string, object?> { ["from"] = DateTimeOffset.UtcNow.AddHours(-1) });

        Assert.Equal(new[] { "east", "west", Injection }.Order(StringComparer.Ordinal), result.Series.Select(s => s.Tags["station"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task QueryAsync_NumericAndBooleanParameters_AreBoundAsTyped()
    {
        var (db, _) = await SeedAsync();
        using var query = influx.QueryClient(db);

        var result = await query.QueryAsync("SELECT count(flow) FROM pump WHERE flow > $min AND running = $running AND starts >= $starts",
            new Dictionary<string, object?> { ["min"] = 1.0, ["running"] = true, ["starts"] = 3 });

        Assert.Equal(2, Assert.Single(result.Series).Value(0, "count").GetInt64());
    }

    [Fact]
    public async Task QueryAsync_VeryLongParameter_GoesAsPostAndWorks()
    {
        var (db, _) = await SeedAsync();
        using var query = influx.QueryClient(db);

        var result = await query.QueryAsync("SELECT * FROM pump WHERE \"station\" = $station", new Dictionary<string, object?> { ["station"] = new string('s', 6000) });

        Assert.Empty(result.Series);
    }

    [Fact]
    public async Task QueryAsync_SyntaxError_ThrowsWithServerMessage()
    {
        using var query = influx.QueryClient("anything");

        var ex = await Assert.ThrowsAsync<InfluxQueryException>(() => query.QueryAsync("SELEC nonsense"));

        Assert.Contains("error parsing query", ex.Message, StringComparison.Ordinal);
        Assert.Equal(400, ex.StatusCode);
    }

    [Fact]
    public async Task QueryAsync_MissingParameter_ThrowsWithServerMessage()
    {
        using var query = influx.QueryClient("anything");

        var ex = await Assert.ThrowsAsync<InfluxQueryException>(() => query.QueryAsync("SELECT * FROM pump WHERE station = $station"));

        Assert.Contains("missing parameter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_DatabaseMissing_ThrowsStatementError()
    {
        using var query = influx.QueryClient("no_such_db");

        var ex = await Assert.ThrowsAsync<InfluxQueryException>(() => query.QueryAsync("SELECT * FROM pump"));

        Assert.Equal(0, ex.StatementId);
        Assert.Contains("database not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_NullParameter_ThrowsArgumentBeforeSending()
    {
        using var query = influx.QueryClient("anything");

        await Assert.ThrowsAsync<ArgumentException>(() => query.QueryAsync("SELECT * FROM pump WHERE station = $s", new Dictionary<string, object?> { ["s"] = null }));
    }

    [Fact]
    public async Task ExecuteAsync_CreateDatabaseRetentionPolicyAndContinuousQuery_AllShowUp()
    {
        using var query = influx.QueryClient("unused");
        var db = "exec_" + Guid.NewGuid().ToString("N")[..8];

        await query.ExecuteAsync($"CREATE DATABASE \"{db}\"");
        await query.ExecuteAsync($"CREATE RETENTION POLICY \"one_year\" ON \"{db}\" DURATION 52w REPLICATION 1", database: db);
        await query.ExecuteAsync($"CREATE CONTINUOUS QUERY \"flow_hourly\" ON \"{db}\" BEGIN SELECT mean(flow) AS flow INTO \"{db}\".\"one_year\".\"pump_1h\" FROM pump GROUP BY time(1h), station END", database: db);

        var databases = await query.QueryAsync("SHOW DATABASES");
        Assert.Contains(db, databases.Series.Single().Values.Select(v => v[0].GetString()));
        var policies = await query.QueryAsync($"SHOW RETENTION POLICIES ON \"{db}\"");
        Assert.Contains("one_year", policies.Series.Single().Values.Select(v => v[0].GetString()));
        var continuous = await query.QueryAsync("SHOW CONTINUOUS QUERIES");
        Assert.Contains(continuous.Series, s => s.Name == db && s.Values.Any(v => v[0].GetString() == "flow_hourly"));
    }

    [Fact]
    public async Task ExecuteAsync_InvalidStatement_Throws()
    {
        using var query = influx.QueryClient("unused");

        await Assert.ThrowsAsync<InfluxQueryException>(() => query.ExecuteAsync("CREATE RETENTION POLICY \"x\" ON \"no_such_db\" DURATION 1d REPLICATION 1"));
    }

    [Fact]
    public void SerializeParameters_EveryBindableType_IsJson()
    {
        var json = InfluxQueryClient.SerializeParameters(new Dictionary<string, object?>
        {
            ["s"] = "x' OR \"1\"",
            ["i"] = 42,
            ["l"] = long.MinValue,
            ["d"] = 0.5,
            ["b"] = false,
            ["t"] = new DateTimeOffset(2026, 11, 22, 1, 2, 3, 456, TimeSpan.FromHours(8)),
        });
        Assert.Equal("{\"s\":\"x\\u0027 OR \\u00221\\u0022\",\"i\":42,\"l\":-9223372036854775808,\"d\":0.5,\"b\":false,\"t\":\"2026-11-21T17:02:03.4560000Z\"}", json);
    }

    [Fact]
    public void SerializeParameters_NaN_Throws() =>
        Assert.Throws<ArgumentException>(() => InfluxQueryClient.SerializeParameters(new Dictionary<string, object?> { ["d"] = double.NaN }));
}

/// <summary>One client over replicas: the caller's order, and the next replica when one cannot be reached.</summary>
public sealed class InfluxQueryClientFailoverTests(InfluxdFixture influx) : IClassFixture<InfluxdFixture>
{
    private async Task<string> SeedAsync()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = new InfluxWriteClient(influx.WriteOptions(db));
        await client.WriteAsync(Lines.Utf8("pump,station=east flow=1.5 1000"), 1, CancellationToken.None);
        return db;
    }

    /// <summary>A loopback port nobody listens on: connections are refused at once.</summary>
    private static InfluxQueryOptions Unreachable(string db) => new() { Url = new Uri($"http://127.0.0.1:{FreePort.Next()}/"), Database = db, Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task QueryAsync_FirstReplicaRefusesConnections_AnswersFromTheNextAndReportsTheFailover()
    {
        var db = await SeedAsync();
        var failovers = new List<(int Index, Exception Error)>();
        using var query = new InfluxQueryClient(
            [Unreachable(db), new InfluxQueryOptions { Url = influx.Server.Url, Database = db }], () => [0, 1], (i, e) => failovers.Add((i, e)));

        var result = await query.QueryAsync("SELECT flow FROM pump");

        Assert.Equal(1.5, Assert.Single(result.Series).Value(0, "flow").GetDouble());
        var failover = Assert.Single(failovers);
        Assert.Equal(0, failover.Index);
        Assert.IsType<HttpRequestException>(failover.Error);
    }

    [Fact]
    public async Task QueryAsync_OrderPutsTheSecondFirst_NeverAsksTheFirst()
    {
        var db = await SeedAsync();
        var failovers = new List<int>();
        using var query = new InfluxQueryClient(
            [Unreachable(db), new InfluxQueryOptions { Url = influx.Server.Url, Database = db }], () => [1, 0], (i, _) => failovers.Add(i));

        var result = await query.QueryAsync("SELECT flow FROM pump");

        Assert.Single(result.Series);
        Assert.Empty(failovers);
    }

    [Fact]
    public async Task QueryAsync_StatementError_IsNotRetriedOnTheNextReplica()
    {
        var db = await SeedAsync();
        var failovers = new List<int>();
        using var query = new InfluxQueryClient(
            [new InfluxQueryOptions { Url = influx.Server.Url, Database = db }, Unreachable(db)], () => [0, 1], (i, _) => failovers.Add(i));

        await Assert.ThrowsAsync<InfluxQueryException>(() => query.QueryAsync("SELECT flow FROM pump WHERE"));

        Assert.Empty(failovers);
    }

    [Fact]
    public async Task QueryAsync_EveryReplicaUnreachable_ThrowsTheLastConnectionError()
    {
        var db = await SeedAsync();
        var failovers = new List<int>();
        using var query = new InfluxQueryClient([Unreachable(db), Unreachable(db)], () => [0, 1], (i, _) => failovers.Add(i));

        await Assert.ThrowsAsync<HttpRequestException>(() => query.QueryAsync("SELECT flow FROM pump"));

        Assert.Equal([0, 1], failovers);
    }
}
