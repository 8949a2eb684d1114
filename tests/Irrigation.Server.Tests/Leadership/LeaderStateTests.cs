using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Contracts;
using Irrigation.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests.Leadership;

/// <summary>
/// What the leading instance produces lives in the shared PostgreSQL database, not on its disk: two real
/// irrigation-server processes on one database (mosquitto and influxd real too, on loopback).
/// </summary>
[Collection("Integration")]
public sealed class LeaderStateTests(ITestOutputHelper output)
{
    private const string ApiUser = "leader-viewer";
    private const string ApiPassword = "leader-viewer-pass-1";
    private const string StationFile = """
        {
          "id": "gw-01",
          "mqtt": { "host": "127.0.0.1", "port": 1883 },
          "stations": [
            { "id": "st001", "name": "城东 1号泵站", "site": "城东镇", "endpoint": { "host": "127.0.0.1", "port": 502 } },
            { "id": "st002", "name": "城西 2号泵站", "site": "城西镇", "endpoint": { "host": "127.0.0.1", "port": 503 } }
          ]
        }
        """;

    /// <summary>
    /// The leader generates last month's reports; the instance that does not lead lists the same reports and serves
    /// the same bytes (compared with the leader's download and the database's SHA-256).
    /// </summary>
    [Fact]
    public async Task TwoInstances_LeaderArchivesReports_TheOtherListsAndServesTheSameBytes()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        using var scratch = new ScratchDirectory("leader-state");
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync("leader_state");
        var settings = await SettingsAsync(scratch, broker, influxd, connectionString);

        var first = await StartInstanceAsync(scratch, "a", settings);
        await using (first.Process)
        {
            await first.Process.WaitForLineAsync(l => l.Contains("now does the once-only work", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            var second = await StartInstanceAsync(scratch, "b", settings);
            await using (second.Process)
            {
                var lastMonth = BeijingTime.DateOf(DateTimeOffset.UtcNow).AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
                var kept = await Poll.UntilAsync(async () => JsonNode.Parse(await second.Http.GetStringAsync(new Uri("api/reports/archive", UriKind.Relative)))!.AsArray(),
                    a => a.Any(r => r!["period"]!.GetValue<string>() == lastMonth), TimeSpan.FromSeconds(30));
                Assert.True(kept.Count > 0, "nothing archived; the leader's log:\n" + first.Process.Tail(60));
                var files = kept.Select(r => r!["file"]!.GetValue<string>()).ToList();
                Assert.Equal(["town-城东镇.xlsx", "town-城东镇.pdf", "town-城西镇.xlsx", "town-城西镇.pdf", "station-st001.xlsx", "station-st001.pdf", "station-st002.xlsx", "station-st002.pdf"], files);
                Assert.Equal(kept.ToJsonString(), JsonNode.Parse(await first.Http.GetStringAsync(new Uri("api/reports/archive", UriKind.Relative)))!.ToJsonString());
                Assert.Contains(first.Process.Lines, l => l.Contains($"Monthly reports for {lastMonth}: 8 files kept", StringComparison.Ordinal));
                Assert.DoesNotContain(second.Process.Lines, l => l.Contains("Monthly reports for", StringComparison.Ordinal));

                var hashes = await ScalarsAsync(connectionString, $"SELECT file || ' ' || sha256 FROM report_files WHERE period = '{lastMonth}'");
                foreach (var entry in kept)
                {
                    var file = entry!["file"]!.GetValue<string>();
                    var path = new Uri($"api/reports/archive/{lastMonth}/{Uri.EscapeDataString(file)}", UriKind.Relative);
                    using var response = await second.Http.GetAsync(path);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.Equal(file.EndsWith(".pdf", StringComparison.Ordinal) ? "application/pdf" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType?.MediaType);
                    var bytes = await response.Content.ReadAsByteArrayAsync();
                    Assert.Equal(entry["bytes"]!.GetValue<long>(), bytes.Length);
                    Assert.Equal(bytes, await first.Http.GetByteArrayAsync(path));
                    Assert.Contains($"{file} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))}", hashes);
                }

                using var missing = await second.Http.GetAsync(new Uri($"api/reports/archive/{lastMonth}/{Uri.EscapeDataString("../../irrigation.db")}", UriKind.Relative));
                Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
                output.WriteLine($"{files.Count} reports of {lastMonth} kept by a, listed and served by b with the same bytes");
            }
        }
    }

    private static async Task<Dictionary<string, string>> SettingsAsync(ScratchDirectory scratch, MosquittoBroker broker, InfluxdServer influxd, string connectionString)
    {
        var stationFile = scratch.File("gateway.json");
        await File.WriteAllTextAsync(stationFile, StationFile);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Irrigation__Mqtt__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture),
            ["Irrigation__Influx__Url"] = influxd.Url.ToString(),
            ["Irrigation__Influx__Database"] = "leader_" + Guid.NewGuid().ToString("N")[..8], // the server creates it with its retention policies
            ["Irrigation__StationFiles__0"] = stationFile,
            ["Irrigation__ProfilesDirectory"] = RepoPaths.Profiles,
            ["Irrigation__Database__Provider"] = "PostgreSql",
            ["Irrigation__Database__ConnectionString"] = connectionString,
            ["Irrigation__Leadership__LeaseDuration"] = "00:00:03",
            ["Irrigation__Reports__GenerateAfter"] = "00:00:00",
            ["Irrigation__Auth__PasswordIterations"] = "10000",
            ["Irrigation__Auth__Users__0__Username"] = ApiUser,
            ["Irrigation__Auth__Users__0__Password"] = ApiPassword,
            ["Irrigation__Auth__Users__0__Role"] = "viewer",
        };
    }

    private sealed record Instance(ManagedProcess Process, HttpClient Http);

    /// <summary>One instance with its own data directory and MQTT client id; signed in with a bearer token.</summary>
    private static async Task<Instance> StartInstanceAsync(ScratchDirectory scratch, string name, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort.Next();
        var environment = new Dictionary<string, string>(settings, StringComparer.Ordinal)
        {
            ["Irrigation__Mqtt__ClientId"] = $"irrigation-server-{name}-" + Guid.NewGuid().ToString("N")[..6],
            ["Irrigation__DataDirectory"] = scratch.File($"server-{name}"),
        };
        var process = await ServerProcess.StartAsync(port, environment, scratch.File($"server-{name}.log"), scratch.Path);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.PostAsync(new Uri("api/auth/tokens", UriKind.Relative),
            new StringContent($$"""{"username":"{{ApiUser}}","password":"{{ApiPassword}}","name":"tests"}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"token: {(int)response.StatusCode} {body}");
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["token"]!.GetValue<string>());
        return new Instance(process, http);
    }

    /// <summary>The first column of every row, read past the server.</summary>
    private static async Task<List<string>> ScalarsAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!);
        return rows;
    }
}
