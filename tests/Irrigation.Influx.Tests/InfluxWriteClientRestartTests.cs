using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Influx.Tests;

/// <summary>Each test owns its influxd: stopped and restarted mid-write, or run with a tiny max-body-size.</summary>
public sealed class InfluxWriteClientRestartTests(ITestOutputHelper output)
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public async Task WriteAsync_InfluxdStoppedThenRestarted_RetriesThenWritesEverything()
    {
        await using var server = await InfluxdServer.StartAsync();
        var db = await server.CreateDatabaseAsync();
        var logger = new TestLogger(output);
        using var client = new InfluxWriteClient(new InfluxWriteOptions
        {
            Url = server.Url,
            Database = db,
            Timeout = TimeSpan.FromSeconds(5),
            Retry = new InfluxRetryOptions { MaxAttempts = 100, FirstDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(400), MaxElapsed = TimeSpan.FromSeconds(60) },
        }, logger);
        var t = Now;
        var lines = Lines.Utf8([.. Enumerable.Range(0, 100).Select(i => $"pump,station=s1 v={i} {t + i}")]);

        await server.StopAsync();
        var write = client.WriteAsync(lines, 100, CancellationToken.None);
        await Poll.UntilAsync(() => Task.FromResult(logger.Entries.Count(e => e.Message.Contains("retrying", StringComparison.Ordinal)) >= 2), "the client retried twice");
        Assert.False(write.IsCompleted);
        await server.RestartAsync();
        var result = await write.WaitAsync(TimeSpan.FromSeconds(30));

        output.WriteLine(result.ToString());
        Assert.True(result.Retries >= 2);
        Assert.Equal(100, result.Written);
        using var query = new Irrigation.Influx.Query.InfluxQueryClient(new() { Url = server.Url, Database = db });
        var count = (await query.QueryAsync("SELECT count(v) FROM pump")).Series.Single().Value(0, "count").GetInt64();
        Assert.Equal(100, count);
    }

    [Fact]
    public async Task WriteAsync_InfluxdDownLongerThanTheRetryBudget_ThrowsTransient()
    {
        await using var server = await InfluxdServer.StartAsync();
        var db = await server.CreateDatabaseAsync();
        await server.StopAsync();
        using var client = new InfluxWriteClient(new InfluxWriteOptions
        {
            Url = server.Url,
            Database = db,
            Retry = new InfluxRetryOptions { MaxAttempts = 3, FirstDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(100) },
        }, new TestLogger(output));

        var ex = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync(Lines.Utf8("m v=1"), 1, CancellationToken.None));

        Assert.True(ex.IsTransient);
        Assert.Null(ex.StatusCode);
        Assert.IsType<HttpRequestException>(ex.InnerException);
        Assert.Contains("3 attempt(s)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_BodyOverInfluxdMaxBodySize_SplitsUntilEveryPointIsWritten()
    {
        await using var server = await InfluxdServer.StartAsync("max-body-size = 1000");
        var db = await server.CreateDatabaseAsync();
        using var client = new InfluxWriteClient(new InfluxWriteOptions { Url = server.Url, Database = db, Gzip = false }, new TestLogger(output));
        var t = Now;
        var lines = Lines.Utf8([.. Enumerable.Range(0, 100).Select(i => $"big,station=s{i} v={i} {t + i}")]);
        Assert.True(lines.Length > 1000);

        var result = await client.WriteAsync(lines, 100, CancellationToken.None);

        output.WriteLine(result.ToString());
        Assert.Equal(100, result.Written);
        Assert.Equal(0, result.Dropped);
        Assert.True(result.Requests > 2);
        using var query = new Irrigation.Influx.Query.InfluxQueryClient(new() { Url = server.Url, Database = db });
        Assert.Equal(100, (await query.QueryAsync("SELECT count(v) FROM big")).Series.Single().Value(0, "count").GetInt64());
    }
}
