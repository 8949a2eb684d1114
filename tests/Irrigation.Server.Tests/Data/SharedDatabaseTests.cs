using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Server.Audit;
using Irrigation.Server.Data;
using Irrigation.Server.Tests.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Irrigation.Server.Tests.Data;

/// <summary>
/// The server on PostgreSQL end to end: two instances configured with one database start together (one migrates, the
/// other waits on the advisory lock and finds the schema current; both create the configured users without tripping over
/// each other), sign users in, accept each other's session cookies and audit command requests into one intact chain.
/// </summary>
public sealed class SharedDatabaseTests
{
    [Fact]
    public async Task TwoInstances_OneDatabase_StartTogether_SignInAndAuditIntoOneChain()
    {
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync("shared");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Irrigation:Database:Provider"] = "PostgreSql",
            ["Irrigation:Database:ConnectionString"] = connectionString,
            ["Irrigation:Auth:Users:2:Username"] = "admin",
            ["Irrigation:Auth:Users:2:Password"] = "admin-password",
            ["Irrigation:Auth:Users:2:Role"] = "admin",
        };
        using var first = new InProcessServer { ExtraSettings = settings };
        using var second = new InProcessServer { ExtraSettings = settings };
        await Task.WhenAll(Task.Run(() => first.Services), Task.Run(() => second.Services)); // both hosts start (and migrate) at once

        using var operatorOnFirst = await first.SignInAsync("operator");
        using var viewerOnSecond = await second.SignInAsync("viewer");
        foreach (var (client, key) in new[] { (operatorOnFirst, "k1"), (viewerOnSecond, "k2") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/stations/no-such-station/pumps/1/commands") { Content = JsonContent.Create(new { action = "start" }) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, response.StatusCode.ToString());
        }

        using var admin = await first.SignInAsync("admin");
        var entries = JsonNode.Parse(await admin.GetStringAsync(new Uri("/api/audit?limit=100", UriKind.Relative)))!.AsArray();
        var actions = entries.Select(e => (e!["action"]!.GetValue<string>(), e["actor"]?.GetValue<string>())).ToList();
        Assert.Contains(("command.request", "operator"), actions);
        Assert.Contains(("command.request", "viewer"), actions);
        Assert.Contains(("auth.login", "viewer"), actions);

        var verification = second.Services.GetRequiredService<AuditLog>().Verify();
        Assert.True(verification.Intact, verification.Reason);
        Assert.Equal(entries.Count, verification.Chained);
        Assert.Equal(DatabaseProvider.PostgreSql, second.Services.GetRequiredService<ServerDatabase>().Dialect.Provider);

        // A session cookie from one instance is valid at the other: the key ring is in the shared database.
        using var anonymous = first.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var login = await anonymous.PostAsJsonAsync("/api/auth/login", new { username = "viewer", password = "viewer-password" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("irrigation.auth=", StringComparison.Ordinal)).Split(';')[0];
        using var elsewhere = second.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        me.Headers.Add("Cookie", cookie);
        using var answer = await elsewhere.SendAsync(me);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var versions = new NpgsqlCommand("SELECT count(*), max(version) FROM schema_version", connection);
        await using var reader = await versions.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((14L, 14L), (reader.GetInt64(0), reader.GetInt64(1))); // migrated once, not twice
        await reader.CloseAsync();
        await using var users = new NpgsqlCommand("SELECT count(*) FROM users", connection);
        Assert.Equal(3L, await users.ExecuteScalarAsync());
    }
}
