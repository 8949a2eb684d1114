using System.Globalization;
using System.Text.Json.Nodes;
using Irrigation.Testing;
using Irrigation.Testing.Waiting;

namespace Irrigation.Deployment.Tests.Grafana;

/// <summary>
/// The whole data path as real processes on loopback: mosquitto, influxd, firmware-sim, irrigation-gateway and
/// irrigation-server writing into the database "irrigation" (the name the dashboards' data source uses).
/// Everything is stopped on dispose, also after a failed start.
/// </summary>
public sealed class TelemetryPipeline : IAsyncDisposable
{
    public const string Database = "irrigation";

    private readonly string _directory;
    private const string OperatorPassword = "dashboards-operator-1";
    private readonly List<IAsyncDisposable> _parts = [];
    private Uri _server = null!;

    private TelemetryPipeline(string directory)
    {
        _directory = directory;
    }

    public InfluxdServer Influxd { get; private set; } = null!;

    public SimulatorProcess Simulator { get; private set; } = null!;

    /// <summary>Station ids of the simulated stations, from the gateway configuration the simulator wrote.</summary>
    public IReadOnlyList<string> Stations { get; private set; } = [];

    public static async Task<TelemetryPipeline> StartAsync(int stations)
    {
        var pipeline = new TelemetryPipeline(Path.Combine(Path.GetTempPath(), $"irrigation-dashboards-{Guid.NewGuid():N}"[..40]));
        try
        {
            await pipeline.StartPartsAsync(stations);
            return pipeline;
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }
    }

    private async Task StartPartsAsync(int stations)
    {
        var broker = await MosquittoBroker.StartAsync();
        _parts.Add(broker);
        Influxd = await InfluxdServer.StartAsync();
        _parts.Add(Influxd);
        Simulator = await SimulatorProcess.StartAsync(_directory, stations, broker.Port);
        _parts.Add(Simulator);

        // Snapshots every 5 s instead of 60 s, so every quantity reaches InfluxDB within the test's minute.
        var configPath = Simulator.GatewayConfig!;
        var config = JsonNode.Parse(await File.ReadAllTextAsync(configPath))!.AsObject();
        config["publishing"] = new JsonObject { ["snapshotInterval"] = "00:00:05" };
        await File.WriteAllTextAsync(configPath, config.ToJsonString());
        Stations = config["stations"]!.AsArray().Select(s => (string)s!["id"]!).ToArray();

        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Irrigation__Mqtt__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture),
            ["Irrigation__Mqtt__ClientId"] = "irrigation-server-dashboards-" + Guid.NewGuid().ToString("N")[..8],
            ["Irrigation__Influx__Url"] = Influxd.Url.ToString(),
            ["Irrigation__Influx__Database"] = Database,
            ["Irrigation__DataDirectory"] = Path.Combine(_directory, "server-data"),
            ["Irrigation__StationFiles__0"] = configPath,
            ["Irrigation__Api__AvailabilityInterval"] = "00:00:02",
            ["Irrigation__Accounting__Interval"] = "00:00:05",
            ["Irrigation__Alarms__Rules__comms_lost__OnDelay"] = "00:00:01",
            ["Irrigation__Auth__PasswordIterations"] = "10000",
            ["Irrigation__Auth__Users__0__Username"] = "operator",
            ["Irrigation__Auth__Users__0__Password"] = OperatorPassword,
            ["Irrigation__Auth__Users__0__Role"] = "operator",
        };
        var port = FreePort.Next();
        _server = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        _parts.Add(await ServerProcess.StartAsync(port, environment, Path.Combine(_directory, "server.log"), _directory));
        _parts.Add(await GatewayProcess.StartAsync(configPath, Path.Combine(_directory, "gateway.log")));
    }

    /// <summary>Runs one InfluxQL statement against the database; returns the parsed response body.</summary>
    public async Task<JsonObject> QueryAsync(string query)
    {
        using var http = new HttpClient { BaseAddress = Influxd.Url, Timeout = TimeSpan.FromSeconds(30) };
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["db"] = Database, ["q"] = query });
        using var response = await http.PostAsync(new Uri("query", UriKind.Relative), content);
        var body = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(body) as JsonObject ?? throw new InvalidOperationException($"influxd answered {(int)response.StatusCode}: {body}");
    }

    /// <summary>Messages stored per station in raw.station.</summary>
    public async Task<Dictionary<string, long>> CountsPerStationAsync()
    {
        var body = await QueryAsync("SELECT count(\"seq\") FROM \"raw\".\"station\" GROUP BY \"station\"");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var series in body["results"]?[0]?["series"]?.AsArray() ?? [])
            counts[(string)series!["tags"]!["station"]!] = (long)series["values"]![0]![1]!;
        return counts;
    }

    /// <summary>Starts pump 1 of the station through the server's API, as an operator would, then stops it (two command outcomes).</summary>
    public async Task StartAndStopPumpAsync(string station)
    {
        using var http = await SignInAsync();

        foreach (var action in new[] { "start", "stop" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/stations/{station}/pumps/1/commands") { Content = Json(new JsonObject { ["action"] = action }) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var response = await http.SendAsync(request);
            var id = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((string?)JsonNode.Parse(await http.GetStringAsync(new Uri($"api/commands/{id}", UriKind.Relative)))!["state"] is "pending" or "sent" && DateTime.UtcNow < deadline)
                await Task.Delay(200);
        }
    }

    /// <summary>A client of the server's API signed in as an operator (session cookie and CSRF header).</summary>
    public async Task<HttpClient> SignInAsync()
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = _server, Timeout = TimeSpan.FromSeconds(30) };
        using (var login = await http.PostAsync(new Uri("api/auth/login", UriKind.Relative), Json(new JsonObject { ["username"] = "operator", ["password"] = OperatorPassword })))
        {
            var body = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
            http.DefaultRequestHeaders.Add("X-CSRF-Token", (string)body["csrfToken"]!);
        }

        return http;
    }

    /// <summary>Cuts the station's mains power in the simulator: a mains-lost alarm that stays active.</summary>
    public Task CutMainsAsync(string station) => Simulator.SetPhysicsAsync(station, new { mains = false });

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    /// <summary>Stops the station's devices from answering (the gateway publishes quality "bad") for a while.</summary>
    /// <summary>
    /// Drops the station's devices for at least <paramref name="duration"/> and until its comms_lost alarm is raised,
    /// then lets them answer again and waits until the alarm is cleared: both events are in InfluxDB when this returns,
    /// however slow a loaded machine made the gateway's detection and the server's evaluation.
    /// </summary>
    public async Task DropStationAsync(string station, TimeSpan duration)
    {
        await Simulator.SetFaultsAsync(station, new { drop = true });
        await Task.Delay(duration);
        await WaitForAlarmEventAsync(station, "comms_lost", "raised");
        await Simulator.ClearFaultsAsync(station);
        await WaitForAlarmEventAsync(station, "comms_lost", "cleared");
    }

    private async Task WaitForAlarmEventAsync(string station, string rule, string alarmEvent)
    {
        var query = $"SELECT count(\"value\") FROM \"alarm\" WHERE \"station\" = '{station}' AND \"rule\" = '{rule}' AND \"event\" = '{alarmEvent}'";
        await Poll.UntilAsync(async () => (await QueryAsync(query))["results"]?[0]?["series"] is not null, $"the {rule} alarm of {station} {alarmEvent} in InfluxDB", TimeSpan.FromSeconds(30));
    }

    /// <summary>Fills the roll-up retention policies now instead of at the next interval boundary (see <see cref="InfluxdServer.BackfillRollupsAsync"/>).</summary>
    public Task<int> BackfillRollupsAsync() => Influxd.BackfillRollupsAsync(Database);

    public async ValueTask DisposeAsync()
    {
        for (var i = _parts.Count - 1; i >= 0; i--)
        {
            try
            {
                await _parts[i].DisposeAsync();
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException)
            {
                // keep stopping the rest
            }
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a log still held by an exiting process; the OS cleans the temp directory later
        }
    }
}
