using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Influx.Query;
using Irrigation.Testing;

namespace Irrigation.Server.Tests.TestSupport;

/// <summary>
/// One real irrigation-server process reading a real NATS cluster's telemetry through the shared JetStream consumer
/// (Irrigation:SharedStream), with an API token for a viewer: what the cluster tests start one, two or more of.
/// </summary>
internal sealed record SharedStreamInstance(ManagedProcess Process, HttpClient Http, Dictionary<string, string> Environment)
{
    private const string ApiUser = "cluster-viewer";
    private const string ApiPassword = "cluster-viewer-pass-1";

    /// <summary>
    /// The instance's environment: MQTT 3.1.1 to every node starting at <paramref name="mqttNode"/> (the session moves
    /// to the next when that one is lost), the shared stream on every node with a 5 s AckWait, its own client id and
    /// data directory; <paramref name="settings"/> adds or replaces entries.
    /// </summary>
    public static Dictionary<string, string> EnvironmentFor(NatsCluster cluster, InfluxdServer influxd, string database, ScratchDirectory scratch, string name, int mqttNode, IReadOnlyDictionary<string, string>? settings = null)
    {
        var brokers = cluster.MqttAddressesFrom(mqttNode);
        var environment = new Dictionary<string, string>
        {
            ["Irrigation__Mqtt__Brokers__0"] = brokers[0],
            ["Irrigation__Mqtt__Brokers__1"] = brokers[1],
            ["Irrigation__Mqtt__Brokers__2"] = brokers[2],
            ["Irrigation__Mqtt__Protocol"] = "3.1.1",
            ["Irrigation__Mqtt__ClientId"] = $"irrigation-server-{name}-" + Guid.NewGuid().ToString("N")[..6],
            ["Irrigation__SharedStream__Servers"] = cluster.NatsServers,
            ["Irrigation__SharedStream__AckWait"] = "00:00:05",
            ["Irrigation__Influx__Url"] = influxd.Url.ToString(),
            ["Irrigation__Influx__Database"] = database,
            ["Irrigation__DataDirectory"] = scratch.File($"server-{name}"),
            ["Irrigation__Auth__PasswordIterations"] = "10000",
            ["Irrigation__Auth__Users__0__Username"] = ApiUser,
            ["Irrigation__Auth__Users__0__Password"] = ApiPassword,
            ["Irrigation__Auth__Users__0__Role"] = "viewer",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            environment[key] = value;
        return environment;
    }

    /// <summary>Starts the instance (ready, ingesting) and signs its <see cref="Http"/> client in with a viewer's API token.</summary>
    public static async Task<SharedStreamInstance> StartAsync(NatsCluster cluster, InfluxdServer influxd, string database, ScratchDirectory scratch, string name, int mqttNode, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort.Next();
        var environment = EnvironmentFor(cluster, influxd, database, scratch, name, mqttNode, settings);
        var process = await ServerProcess.StartAsync(port, environment, scratch.File($"server-{name}.log"), scratch.Path);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        await process.WaitForLineAsync(l => l.Contains("Ingesting ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        using var response = await http.PostAsync(new Uri("api/auth/tokens", UriKind.Relative),
            new StringContent($$"""{"username":"{{ApiUser}}","password":"{{ApiPassword}}","name":"tests"}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"token: {(int)response.StatusCode} {body}");
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["token"]!.GetValue<string>());
        return new SharedStreamInstance(process, http, environment);
    }

    /// <summary>Telemetry points stored per station (<c>count(seq)</c> of the station measurement).</summary>
    public static async Task<SortedDictionary<string, long>> CountsAsync(InfluxQueryClient query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var result = await query.QueryAsync("SELECT count(\"seq\") FROM \"station\" GROUP BY \"station\"");
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var series in result.Series)
            counts[series.Tags["station"]] = series.Value(0, "count").GetInt64();
        return counts;
    }
}
