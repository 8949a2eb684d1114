using Irrigation.Influx.Query;
using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Influx.Tests;

/// <summary>
/// Credentials against a real influxd with authentication on (<c>auth-enabled = true</c>): the right user and password
/// write and query, a wrong password is a clear 401 that is never retried, and nothing is written by it.
/// </summary>
public sealed class InfluxAuthTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string User = "irrigation";
    private const string Password = "irrigation-pass-1";
    private const string Database = "authdb";
    private InfluxdServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await InfluxdServer.StartAsync("auth-enabled = true");
        // influxd takes the first admin user without credentials; everything after that needs them.
        await _server.ExecuteAsync($"CREATE USER \"{User}\" WITH PASSWORD '{Password}' WITH ALL PRIVILEGES");
        using var admin = Query(Password);
        await admin.ExecuteAsync($"CREATE DATABASE \"{Database}\"");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private InfluxQueryClient Query(string password) =>
        new(new InfluxQueryOptions { Url = _server.Url, Database = Database, Username = User, Password = password });

    private InfluxWriteClient Writer(string password, bool inQuery, TestLogger logger) => new(new InfluxWriteOptions
    {
        Url = _server.Url,
        Database = Database,
        Username = User,
        Password = password,
        CredentialsInQuery = inQuery,
        Timeout = TimeSpan.FromSeconds(5),
        Retry = new InfluxRetryOptions { MaxAttempts = 3, FirstDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(500), MaxElapsed = TimeSpan.FromSeconds(10) },
    }, logger);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WriteAsync_RightPassword_Stored_WrongPassword_401NotRetriedAndNothingStored(bool inQuery)
    {
        var logger = new TestLogger(output);
        var t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var measurement = inQuery ? "q" : "basic";

        using (var good = Writer(Password, inQuery, logger))
            Assert.Equal(1, (await good.WriteAsync(Lines.Utf8($"{measurement},s=a v=1 {t}"), 1, CancellationToken.None)).Written);
        using (var bad = Writer("wrong-password", inQuery, logger))
        {
            var ex = await Assert.ThrowsAsync<InfluxWriteException>(() => bad.WriteAsync(Lines.Utf8($"{measurement},s=b v=2 {t + 1}"), 1, CancellationToken.None));
            Assert.Equal(401, ex.StatusCode);
            Assert.False(ex.IsTransient);
            Assert.Contains("authorization failed", ex.Message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("retrying", StringComparison.Ordinal));
        using var query = Query(Password);
        var result = await query.QueryAsync($"SELECT count(\"v\") FROM \"{measurement}\"");
        Assert.Equal(1, result.Series.Single().Value(0, "count").GetInt64());
    }

    [Fact]
    public async Task QueryAsync_WrongPassword_ThrowsWith401()
    {
        using var query = Query("wrong-password");

        var ex = await Assert.ThrowsAsync<InfluxQueryException>(() => query.QueryAsync("SHOW MEASUREMENTS"));

        Assert.Equal(401, ex.StatusCode);
    }
}
