using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests.State;

/// <summary>
/// Station settings with two server instances on one PostgreSQL database: a change saved through one instance is served
/// by the other's API within its settings check interval, in both directions, without a restart. Real mosquitto,
/// influxd, PostgreSQL and two irrigation-server processes.
/// </summary>
[Collection("SystemFlows")]
public sealed class SharedStationSettingsTests(ITestOutputHelper output)
{
    private const string Admin = "settings-admin";
    private const string Password = "settings-admin-pass-1";
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>The bound the test holds the instances to: the check interval plus room for a busy 2-core machine.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(6);

    /// <summary>A gateway configuration (read strictly); the servers take only its "stations".</summary>
    private const string StationFile = """
        {
          "id": "gw-01",
          "mqtt": { "host": "127.0.0.1", "port": 1883 },
          "stations": [
            { "id": "st001", "name": "城东 1号泵站", "site": "城东镇", "endpoint": { "host": "127.0.0.1", "port": 502 } }
          ]
        }
        """;

    [Fact]
    public async Task Settings_SavedThroughOneInstance_ServedByTheOtherWithinTheCheckInterval()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        var postgres = await PostgresServer.SharedAsync();
        using var scratch = new ScratchDirectory("shared-settings");
        var connectionString = await postgres.CreateDatabaseAsync("settings");
        var stations = scratch.File("gateway.json");
        await File.WriteAllTextAsync(stations, StationFile);
        var ports = new[] { FreePort.Next(), FreePort.Next() };
        var instances = new List<ManagedProcess>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                instances.Add(await ServerProcess.StartAsync(ports[i], new Dictionary<string, string>
                {
                    ["Irrigation__Mqtt__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture),
                    ["Irrigation__Mqtt__ClientId"] = $"irrigation-server-settings-{i + 1}",
                    ["Irrigation__Influx__Url"] = influxd.Url.ToString(),
                    ["Irrigation__Influx__Database"] = "settings_" + Guid.NewGuid().ToString("N")[..8],
                    ["Irrigation__DataDirectory"] = scratch.File($"server-{i + 1}"),
                    ["Irrigation__StationFiles__0"] = stations,
                    ["Irrigation__Database__Provider"] = "PostgreSql",
                    ["Irrigation__Database__ConnectionString"] = connectionString,
                    ["Irrigation__Api__SettingsRefreshInterval"] = "00:00:01",
                    ["Irrigation__Auth__PasswordIterations"] = "10000",
                    ["Irrigation__Auth__Users__0__Username"] = Admin,
                    ["Irrigation__Auth__Users__0__Password"] = Password,
                    ["Irrigation__Auth__Users__0__Role"] = "admin",
                }, scratch.File($"server-{i + 1}.log"), scratch.Path));
            }

            using var a = await SignInAsync(ports[0]);
            using var b = await SignInAsync(ports[1]);
            Assert.Equal("城东 1号泵站", (await StationAsync(b))["name"]!.GetValue<string>()); // b has read the settings (none) at its start

            // Through a: name and coefficient. b shows them on its station page (its periodic check) and its settings page.
            using (var saved = await a.PatchAsJsonAsync("api/stations/st001/settings", new { name = "城东一号机埠", waterPerKwh = 12.5 }))
                Assert.True(saved.StatusCode == HttpStatusCode.OK, $"save through a: {(int)saved.StatusCode} {await saved.Content.ReadAsStringAsync()}");
            var seenAtB = await WaitForAsync(b, s => s["name"]!.GetValue<string>() == "城东一号机埠");
            var settingsAtB = await SettingsAsync(b);
            Assert.Equal((12.5, Admin), (settingsAtB["waterPerKwh"]!.GetValue<double>(), settingsAtB["updatedBy"]!.GetValue<string>()));

            // Through b: the town. a shows it, and keeps a's name (the upsert keeps fields not given).
            using (var saved = await b.PatchAsJsonAsync("api/stations/st001/settings", new { site = "城东新镇" }))
                Assert.True(saved.StatusCode == HttpStatusCode.OK, $"save through b: {(int)saved.StatusCode} {await saved.Content.ReadAsStringAsync()}");
            var seenAtA = await WaitForAsync(a, s => s["site"]!.GetValue<string>() == "城东新镇");
            var atA = await StationAsync(a);
            Assert.Equal("城东一号机埠", atA["name"]!.GetValue<string>());
            Assert.Equal(12.5, (await SettingsAsync(a))["waterPerKwh"]!.GetValue<double>());

            output.WriteLine($"saved through a, shown by b after {seenAtB.TotalSeconds:0.00} s; saved through b, shown by a after {seenAtA.TotalSeconds:0.00} s (check every {CheckInterval.TotalSeconds:0} s)");
        }
        finally
        {
            foreach (var process in instances)
                await process.DisposeAsync();
        }
    }

    private static async Task<HttpClient> SignInAsync(int port)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromSeconds(10) };
        using var token = await http.PostAsJsonAsync("api/auth/tokens", new { username = Admin, password = Password, name = "settings-test" });
        var body = await token.Content.ReadAsStringAsync();
        Assert.True(token.StatusCode == HttpStatusCode.Created, $"token: {(int)token.StatusCode} {body}");
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["token"]!.GetValue<string>());
        return http;
    }

    private static async Task<JsonNode> StationAsync(HttpClient http) =>
        JsonNode.Parse(await http.GetStringAsync(new Uri("api/stations/st001", UriKind.Relative)))!;

    private static async Task<JsonNode> SettingsAsync(HttpClient http) =>
        JsonNode.Parse(await http.GetStringAsync(new Uri("api/stations/st001/settings", UriKind.Relative)))!;

    /// <summary>Polls the station page (not the settings page, which checks on read) until it shows the change; how long that took.</summary>
    private static async Task<TimeSpan> WaitForAsync(HttpClient http, Func<JsonNode, bool> shown)
    {
        var since = Stopwatch.StartNew();
        JsonNode last = new JsonObject();
        while (since.Elapsed < Bound)
        {
            last = await StationAsync(http);
            if (shown(last))
                return since.Elapsed;
            await Task.Delay(100);
        }

        throw new TimeoutException($"not shown within {Bound.TotalSeconds:0} s: {last.ToJsonString()}");
    }
}
