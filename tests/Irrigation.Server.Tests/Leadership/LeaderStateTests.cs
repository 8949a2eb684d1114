using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Contracts;
using Irrigation.Sl651.Platform;
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
    private const string St1Address = "0033000001";
    private const string St2Address = "0033000002";
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

    /// <summary>
    /// The platform hangs (reads, never acknowledges) while the leader queues SL 651 reports; the leader is killed -9
    /// with them unsent. The other instance takes the lease and delivers them to the real TCP platform — each once, in
    /// order — and goes on with the next serials: every station's serials at the platform are 1..n without a gap.
    /// </summary>
    [Fact]
    public async Task TwoInstances_LeaderKilledWithUplinkFramesUnsent_TheOtherDeliversThemOnceInOrder()
    {
        await using var platform = new ReferencePlatform(centreAddress: 1) { Answering = false };
        await using var broker = await MosquittoBroker.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        using var scratch = new ScratchDirectory("leader-uplink");
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync("leader_uplink");
        var settings = await SettingsAsync(scratch, broker, influxd, connectionString);
        settings["Irrigation__Reports__Archive"] = "false";
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["Host"] = "127.0.0.1",
            ["Port"] = platform.Port.ToString(CultureInfo.InvariantCulture),
            ["CentreAddress"] = "1",
            ["Password"] = "1234",
            ["KeepAliveInterval"] = "00:00:05",
            ["ReportInterval"] = "00:00:00.500",
            ["AckTimeout"] = "00:00:02", // long enough on a busy machine that an answered frame is not sent again
            ["RetryDelay"] = "00:00:00.500",
            ["Stations:0:Station"] = "st001",
            ["Stations:0:Address"] = St1Address,
            ["Stations:0:SendPumpData"] = "false",
            ["Stations:1:Station"] = "st002",
            ["Stations:1:Address"] = St2Address,
            ["Stations:1:SendPumpData"] = "false",
        })
        {
            settings["Irrigation__Uplink__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var first = await StartInstanceAsync(scratch, "a", settings);
        await using (first.Process)
        {
            await first.Process.WaitForLineAsync(l => l.Contains("now does the once-only work", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            var second = await StartInstanceAsync(scratch, "b", settings);
            await using (second.Process)
            {
                const string Queued = "SELECT station || ' ' || serial FROM uplink_frames ORDER BY id";
                await Poll.UntilAsync(async () => (await ScalarsAsync(connectionString, Queued)).Count(r => r.StartsWith(St2Address, StringComparison.Ordinal)) >= 4,
                    "reports queued by the leader while the platform hangs", TimeSpan.FromSeconds(30));
                first.Process.KillHard();
                var killed = Stopwatch.StartNew();
                var left = await ScalarsAsync(connectionString, Queued);
                Assert.Empty(platform.Reports); // nothing was acknowledged (a hung platform records nothing)
                platform.Answering = true;

                await second.Process.WaitForLineAsync(l => l.Contains("now does the once-only work", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
                var takeover = killed.Elapsed;
                foreach (var address in new[] { St1Address, St2Address })
                {
                    var unsent = left.Where(r => r.StartsWith(address, StringComparison.Ordinal)).Select(r => int.Parse(r.Split(' ')[1], CultureInfo.InvariantCulture)).ToList();
                    Assert.Equal(Enumerable.Range(1, unsent.Count), unsent); // the dead leader's queue, serials 1..k
                    var lastLeft = unsent[^1];
                    await Poll.UntilAsync(() => Serials(platform, address).Count > lastLeft + 2, $"{address}: the dead leader's frames and new ones from the next leader", TimeSpan.FromSeconds(20));
                }

                var delivered = killed.Elapsed;
                foreach (var address in new[] { St1Address, St2Address })
                {
                    var serials = Serials(platform, address);
                    Assert.Equal(Enumerable.Range(1, serials.Count), serials); // in order, none lost, none skipped
                }

                Assert.Equal(0, platform.Duplicates); // nothing sent twice
                Assert.Equal(0, platform.BadFrames);
                Assert.DoesNotContain(second.Process.Lines, l => l.Contains("not queued", StringComparison.Ordinal));
                output.WriteLine($"{left.Count} frames left by the killed leader; lease taken {takeover.TotalSeconds:0.0} s after the kill, all delivered and new ones following {delivered.TotalSeconds:0.0} s after it; duplicates {platform.Duplicates}");
            }
        }
    }

    /// <summary>The serials of a station's reports at the platform (each recorded once), in arrival order.</summary>
    private static List<int> Serials(ReferencePlatform platform, string address) =>
        [.. platform.Reports.Where(r => r.Station == address && r.Serial > 0).Select(r => (int)r.Serial!.Value)];

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
