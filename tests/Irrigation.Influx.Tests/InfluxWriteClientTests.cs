using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;
using Xunit.Abstractions;

namespace Irrigation.Influx.Tests;

/// <summary>
/// The write client against a real influxd 1.6 (Debian <c>influxdb</c>): what it does with bad points, gzip,
/// credentials, and refusals that must not be retried.
/// </summary>
public sealed class InfluxWriteClientTests(InfluxdFixture influx, ITestOutputHelper output) : IClassFixture<InfluxdFixture>
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private InfluxWriteClient Client(string database, bool gzip = true, Action<InfluxWriteOptions>? configure = null)
    {
        var options = influx.WriteOptions(database, gzip);
        configure?.Invoke(options);
        return new InfluxWriteClient(options, new TestLogger(output));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteAsync_GoodBatchWithAndWithoutGzip_WritesEveryPoint(bool gzip)
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = Client(db, gzip);
        var t = Now;
        var lines = Lines.Utf8([.. Enumerable.Range(0, 500).Select(i => $"pump,station=s{i % 7} v={i}.5 {t + i}")]);

        var result = await client.WriteAsync(lines, 500, CancellationToken.None);

        Assert.Equal(500, result.Written);
        Assert.Equal(0, result.Dropped);
        Assert.Equal(1, result.Requests);
        Assert.Equal(500, await influx.CountAsync(db, "pump"));
    }

    [Fact]
    public async Task WriteAsync_OneMalformedLine_InfluxdWritesTheOthersAndReportsIt()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = Client(db);
        var t = Now;

        var result = await client.WriteAsync(Lines.Utf8($"m,s=a v=1 {t}", $"m,s=b v= {t + 1}", $"m,s=c v=3 {t + 2}"), 3, CancellationToken.None);

        output.WriteLine(result.ToString());
        Assert.Equal(1, result.Requests);
        var drop = Assert.Single(result.Drops);
        Assert.Equal(InfluxDropReason.Unparsable, drop.Reason);
        Assert.Equal(1, drop.Count);
        Assert.Contains("m,s=b v=", drop.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Written);
        Assert.Equal(2, await influx.CountAsync(db, "m"));
    }

    [Fact]
    public async Task WriteAsync_OneFieldTypeConflict_InfluxdWritesTheOthersAndReportsIt()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = Client(db);
        var t = Now;
        await client.WriteAsync(Lines.Utf8($"m,s=a v=1 {t}"), 1, CancellationToken.None);

        var result = await client.WriteAsync(Lines.Utf8($"m,s=b v=2 {t + 1}", $"m,s=c v=\"text\" {t + 2}", $"m,s=d v=4 {t + 3}"), 3, CancellationToken.None);

        var drop = Assert.Single(result.Drops);
        Assert.Equal(InfluxDropReason.FieldTypeConflict, drop.Reason);
        Assert.Equal(1, result.Dropped);
        Assert.Equal(1, result.Requests);
        Assert.Equal(3, await influx.CountAsync(db, "m"));
    }

    [Fact]
    public async Task WriteAsync_MalformedLineAndTypeConflictTogether_GoodPointsKeptButInfluxdNamesOnlyTheConflict()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = Client(db);
        var t = Now;
        await client.WriteAsync(Lines.Utf8($"m,s=a v=1 {t}"), 1, CancellationToken.None);

        var result = await client.WriteAsync(Lines.Utf8($"m,s=b v=2 {t + 1}", $"m,s=c v=bad {t + 2}", $"m,s=d v=\"x\" {t + 3}", $"m,s=e v=5 {t + 4}"), 4, CancellationToken.None);

        // influxd 1.6: "partial write: field type conflict: ... dropped=1" — the unparsable line goes unmentioned.
        output.WriteLine(result.ToString());
        Assert.Equal(InfluxDropReason.FieldTypeConflict, Assert.Single(result.Drops).Reason);
        Assert.Equal(1, result.Dropped);
        Assert.Equal(3, await influx.CountAsync(db, "m"));
    }

    [Fact]
    public async Task WriteAsync_EveryLineMalformed_NothingWrittenAllCountedWithoutResend()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = Client(db);

        var result = await client.WriteAsync(Lines.Utf8("garbage", "more junk"), 2, CancellationToken.None);

        Assert.Equal(2, result.Dropped);
        Assert.Equal(InfluxDropReason.Unparsable, Assert.Single(result.Drops).Reason);
        Assert.Equal(1, result.Requests);
    }

    [Fact]
    public async Task WriteAsync_PointOlderThanRetention_DroppedAsBeyondRetention()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        await influx.Server.ExecuteAsync($"CREATE RETENTION POLICY \"hour\" ON \"{db}\" DURATION 1h REPLICATION 1 DEFAULT");
        using var client = Client(db);

        var result = await client.WriteAsync(Lines.Utf8("m v=1 1000", $"m v=2 {Now}"), 2, CancellationToken.None);

        var drop = Assert.Single(result.Drops);
        Assert.Equal(InfluxDropReason.BeyondRetention, drop.Reason);
        Assert.Equal(1, result.Written);
    }

    [Fact]
    public async Task WriteAsync_DatabaseMissing_ThrowsWithoutRetry()
    {
        using var client = Client("no_such_db");

        var ex = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync(Lines.Utf8("m v=1"), 1, CancellationToken.None));

        Assert.Equal(404, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("database not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_RetentionPolicyMissing_Influxd500IsNotRetried()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        var logger = new TestLogger(output);
        var options = influx.WriteOptions(db);
        options.RetentionPolicy = "nope";
        options.Retry.MaxAttempts = 5;
        using var client = new InfluxWriteClient(options, logger);

        var ex = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync(Lines.Utf8("m v=1"), 1, CancellationToken.None));

        Assert.Equal(500, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("retrying", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteAsync_TokenHeader_AcceptedByInfluxdWithAuthDisabled()
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = Client(db, configure: o => o.Token = "irrigation-token");

        var result = await client.WriteAsync(Lines.Utf8($"m v=1 {Now}"), 1, CancellationToken.None);

        Assert.Equal(1, result.Written);
        Assert.Equal(1, await influx.CountAsync(db, "m"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WriteAsync_UserAndPassword_AcceptedAsBasicAuthOrQuery(bool inQuery)
    {
        var db = await influx.Server.CreateDatabaseAsync();
        using var client = Client(db, configure: o =>
        {
            o.Username = "writer";
            o.Password = "secret";
            o.CredentialsInQuery = inQuery;
        });

        var result = await client.WriteAsync(Lines.Utf8($"m v=1 {Now}"), 1, CancellationToken.None);

        Assert.Equal(1, result.Written);
        Assert.Equal(1, await influx.CountAsync(db, "m"));
    }

    [Fact]
    public async Task WriteAsync_V2Api_Influxd16Answers404AndIsNotRetried()
    {
        using var client = new InfluxWriteClient(new InfluxWriteOptions { Url = influx.Server.Url, Api = InfluxWriteApi.V2, Bucket = "b" });

        var ex = await Assert.ThrowsAsync<InfluxWriteException>(() => client.WriteAsync(Lines.Utf8("m v=1"), 1, CancellationToken.None));

        Assert.Equal(404, ex.StatusCode);
    }
}
