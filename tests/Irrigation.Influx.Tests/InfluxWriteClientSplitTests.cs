using System.Net;
using System.Net.Http.Headers;
using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;
using Xunit.Abstractions;

namespace Irrigation.Influx.Tests;

/// <summary>
/// Decision logic for servers that reject a whole batch (InfluxDB 2.x on a parse error) or throttle, which the
/// Debian influxd and VictoriaMetrics never do: scripted answers in process. Real-server behaviour is in
/// <see cref="InfluxWriteClientTests"/> and <see cref="VictoriaMetricsWriteTests"/>.
/// </summary>
public sealed class InfluxWriteClientSplitTests(ITestOutputHelper output)
{
    private InfluxWriteClient Client(ScriptedInfluxHandler handler) => new(new InfluxWriteOptions
    {
        Url = new Uri("http://127.0.0.1:1/"),
        Database = "db",
        Retry = new InfluxRetryOptions { MaxAttempts = 4, FirstDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) },
    }, new TestLogger(output), handler);

    private static string[] Batch(int count, params int[] bad) =>
        [.. Enumerable.Range(0, count).Select(i => bad.Contains(i) ? $"bad{i} v=" : $"good v={i}")];

    [Fact]
    public async Task WriteAsync_WholeBatchRejectedNamingLineNumbers_ResendsTheRestOnce()
    {
        // InfluxDB 2.x style: nothing written, 400 naming the bad lines by 1-based number.
        var handler = new ScriptedInfluxHandler((lines, _) =>
        {
            var bad = lines.Select((l, i) => (l, i)).Where(x => x.l.StartsWith("bad", StringComparison.Ordinal)).ToList();
            return bad.Count == 0 ? null : ScriptedInfluxHandler.Json(HttpStatusCode.BadRequest,
                $"{{\"code\":\"invalid\",\"message\":\"failed to parse line protocol: errors encountered on line(s):\\n{string.Join("\\n", bad.Select(b => $"line {b.i + 1}: missing field value"))}\"}}");
        });
        using var client = Client(handler);
        var batch = Batch(10, 3, 7);

        var result = await client.WriteAsync(Lines.Utf8(batch), 10, CancellationToken.None);

        Assert.Equal(2, result.Requests);
        Assert.Equal(2, result.Dropped);
        Assert.Equal(InfluxDropReason.Unparsable, Assert.Single(result.Drops).Reason);
        Assert.Equal(batch.Where(l => l.StartsWith("good", StringComparison.Ordinal)), handler.Stored);
    }

    [Fact]
    public async Task WriteAsync_WholeBatchRejectedNamingNothing_BisectsDownToTheBadLine()
    {
        var handler = new ScriptedInfluxHandler((lines, _) =>
            lines.Any(l => l.StartsWith("bad", StringComparison.Ordinal)) ? ScriptedInfluxHandler.Json(HttpStatusCode.BadRequest, "{\"error\":\"bad request\"}") : null);
        using var client = Client(handler);
        var batch = Batch(64, 41);

        var result = await client.WriteAsync(Lines.Utf8(batch), 64, CancellationToken.None);

        output.WriteLine(result.ToString());
        Assert.Equal(1, result.Dropped);
        Assert.Equal(InfluxDropReason.Rejected, Assert.Single(result.Drops).Reason);
        Assert.Equal(63, handler.Stored.Count);
        Assert.Equal(batch.Where(l => l.StartsWith("good", StringComparison.Ordinal)).Order(), handler.Stored.Order());
        Assert.True(result.Requests <= 2 * 7, $"{result.Requests} requests");
    }

    [Fact]
    public async Task WriteAsync_TooManyRequestsWithRetryAfter_WaitsThenSucceeds()
    {
        var handler = new ScriptedInfluxHandler((_, n) =>
        {
            if (n > 1)
                return null;
            var response = ScriptedInfluxHandler.Json(HttpStatusCode.TooManyRequests, "{\"error\":\"slow down\"}");
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
            return response;
        });
        using var client = Client(handler);

        var result = await client.WriteAsync(Lines.Utf8("m v=1"), 1, CancellationToken.None);

        Assert.Equal(1, result.Retries);
        Assert.Equal(1, result.Written);
        Assert.True(result.Elapsed >= TimeSpan.FromSeconds(0.9), $"waited {result.Elapsed}");
    }

    [Fact]
    public async Task WriteAsync_ServiceUnavailableEveryTime_GivesUpAfterMaxAttempts()
    {
        var handler = new ScriptedInfluxHandler((_, _) => ScriptedInfluxHandler.Json(HttpStatusCode.ServiceUnavailable, "{\"error\":\"busy\"}"));
        using var client = Client(handler);

        var ex = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync(Lines.Utf8("m v=1"), 1, CancellationToken.None));

        Assert.True(ex.IsTransient);
        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(4, handler.Requests.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotImplemented)]
    public async Task WriteAsync_RefusedAsAWhole_ThrowsAfterOneRequest(HttpStatusCode status)
    {
        var handler = new ScriptedInfluxHandler((_, _) => ScriptedInfluxHandler.Json(status, "{\"error\":\"no\"}"));
        using var client = Client(handler);

        var ex = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync(Lines.Utf8("m v=1"), 1, CancellationToken.None));

        Assert.False(ex.IsTransient);
        Assert.Equal((int)status, ex.StatusCode);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task WriteAsync_CallerCancels_ThrowsOperationCanceledWithoutRetry()
    {
        var handler = new ScriptedInfluxHandler((_, _) => ScriptedInfluxHandler.Json(HttpStatusCode.ServiceUnavailable, "{}"));
        using var client = Client(handler);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.WriteAsync(Lines.Utf8("m v=1"), 1, cts.Token));
    }
}
