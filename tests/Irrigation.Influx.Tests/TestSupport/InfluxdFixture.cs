using Irrigation.Influx.Query;
using Irrigation.Influx.Write;
using Irrigation.Testing;

namespace Irrigation.Influx.Tests.TestSupport;

/// <summary>One real influxd per test class; each test makes its own database.</summary>
public sealed class InfluxdFixture : IAsyncLifetime
{
    private InfluxdServer? _server;

    public InfluxdServer Server => _server ?? throw new InvalidOperationException("influxd not started.");

    public async Task InitializeAsync() => _server = await InfluxdServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }

    public InfluxWriteOptions WriteOptions(string database, bool gzip = true) => new()
    {
        Url = Server.Url,
        Database = database,
        Gzip = gzip,
        Timeout = TimeSpan.FromSeconds(5),
        Retry = new InfluxRetryOptions { MaxAttempts = 3, FirstDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(500), MaxElapsed = TimeSpan.FromSeconds(10) },
    };

    public InfluxQueryClient QueryClient(string database) => new(new InfluxQueryOptions { Url = Server.Url, Database = database });

    /// <summary>SELECT count(*) of one field; 0 when the measurement has no data.</summary>
    public async Task<long> CountAsync(string database, string measurement, string field = "v")
    {
        using var query = QueryClient(database);
        var result = await query.QueryAsync($"SELECT count(\"{field}\") FROM \"{measurement}\"");
        var series = result.Series.FirstOrDefault();
        return series is null ? 0 : series.Value(0, "count").GetInt64();
    }
}

/// <summary>One real VictoriaMetrics per test class.</summary>
public sealed class VictoriaMetricsFixture : IAsyncLifetime
{
    private VictoriaMetricsServer? _server;

    public VictoriaMetricsServer Server => _server ?? throw new InvalidOperationException("victoria-metrics not started.");

    public async Task InitializeAsync() => _server = await VictoriaMetricsServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
