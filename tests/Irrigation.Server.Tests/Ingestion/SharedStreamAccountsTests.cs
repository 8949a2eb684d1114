using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Influx.Query;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests;

/// <summary>
/// The server on a real three-node NATS cluster that has accounts: the authorization block of the real
/// irrigation-probe nats-auth for two gateways (gw-a: st001, st002; gw-b: st003) and the server. The server logs in with
/// its account over MQTT and over NATS (its shared JetStream consumer and its view of the stream); real nats-server,
/// influxd and irrigation-server processes on loopback.
/// </summary>
[Collection("Integration")]
public sealed class SharedStreamAccountsTests(ITestOutputHelper output)
{
    private const int PerStation = 20;
    private const string ApiUser = "accounts-viewer";
    private const string ApiPassword = "accounts-viewer-pass-1";
    private const string Values = """{"voltage_a":{"v":229.8,"u":"V"}}""";

    /// <summary>
    /// gw-a sends its own stations' telemetry and, with the same connection, telemetry for gw-b's station st003. NATS
    /// acknowledges all of it (a refused QoS 1 publish gets its PUBACK and is dropped), but only gw-a's own is stored:
    /// the server's consumer, logged in with the server's account, stores every sequence number of st001 and st002 and
    /// nothing of st003.
    /// </summary>
    [Fact]
    public async Task GatewayPublishesItsOwnAndAnotherGatewaysStation_OnlyItsOwnIsStoredThroughTheServersConsumer()
    {
        using var scratch = new ScratchDirectory("shared-stream-accounts");
        var server = new MqttAccount("irrigation-server", "server-" + Guid.NewGuid().ToString("N"));
        var gatewayA = new MqttAccount("gw-a", "a-" + Guid.NewGuid().ToString("N"));
        var gatewayB = new MqttAccount("gw-b", "b-" + Guid.NewGuid().ToString("N"));
        var authorization = await BrokerAccounts.NatsAuthorizationAsync(scratch.Path, server.Password!,
            BrokerAccounts.WriteGatewayConfig(scratch.Path, "gw-a", gatewayA, "st001", "st002"),
            BrokerAccounts.WriteGatewayConfig(scratch.Path, "gw-b", gatewayB, "st003"));
        await using var cluster = await NatsCluster.StartAsync(authorization);
        await using var influxd = await InfluxdServer.StartAsync();
        var database = "accounts_" + Guid.NewGuid().ToString("N")[..8];
        var (process, http) = await StartServerAsync(cluster, influxd, database, scratch, server, server.Password!);
        await using (process)
        using (http)
        {
            Assert.Contains(process.Lines, l => l.Contains("Ingesting JetStream $MQTT_msgs $MQTT.msgs.irrigation.*.telemetry (shared consumer irrigation-ingest)", StringComparison.Ordinal));

            await using var gateway = new ReconnectingMqttClient(cluster.ClientOptions(1, "gw-a-" + Guid.NewGuid().ToString("N")[..8], clean: true, username: gatewayA.Username, password: gatewayA.Password), new TestLogger(output, "gw-a"));
            await gateway.ConnectAsync(CancellationToken.None);
            var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - PerStation * 1000L;
            for (var seq = 1; seq <= PerStation; seq++)
            {
                foreach (var station in new[] { "st003", "st001", "st002" }) // the forged one first: what follows shows the path worked
                {
                    var payload = $$"""{"v":1,"station":"{{station}}","site":"城东镇","gateway":"gw-a","epoch":"e1","seq":{{seq}},"ts":{{start + seq * 1000L}},"kind":"change","replayed":false,"quality":"good","values":{{Values}}}""";
                    await gateway.PublishAsync(new MqttApplicationMessage($"irrigation/{station}/telemetry", Encoding.UTF8.GetBytes(payload), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
                }
            }

            var query = new InfluxQueryClient(new InfluxQueryOptions { Url = influxd.Url, Database = database, Timeout = TimeSpan.FromSeconds(10) });
            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!(counts.GetValueOrDefault("st001") == PerStation && counts.GetValueOrDefault("st002") == PerStation) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
                counts = await CountsAsync(query);
            }

            output.WriteLine("stored per station: " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")));
            Assert.Equal(PerStation, counts.GetValueOrDefault("st001"));
            Assert.Equal(PerStation, counts.GetValueOrDefault("st002"));
            Assert.False(counts.ContainsKey("st003"), $"gw-a's forged telemetry for st003 was stored: {counts.GetValueOrDefault("st003")}");
            Assert.Contains("Publish Violation - User \"gw-a\", Subject \"irrigation.st003.telemetry\"", cluster.Log(1), StringComparison.Ordinal);
            // The view of the whole stream (a plain NATS subscription under the server's account) saw gw-a's stations.
            var latest = JsonNode.Parse(await http.GetStringAsync(new Uri("api/stations/latest", UriKind.Relative)))!.AsArray();
            Assert.Equal(["st001", "st002"], latest.Where(s => s!["lastTelemetryMs"] is not null).Select(s => s!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// The server given a wrong NATS password: the cluster refuses it, the server says so naming its user, keeps
    /// running and trying, and is not ready; it does not exit.
    /// </summary>
    [Fact]
    public async Task ServerWithWrongNatsPassword_LogsTheRefusalAndKeepsRunningNotReady()
    {
        using var scratch = new ScratchDirectory("shared-stream-accounts-refused");
        var server = new MqttAccount("irrigation-server", "server-" + Guid.NewGuid().ToString("N"));
        var authorization = await BrokerAccounts.NatsAuthorizationAsync(scratch.Path, server.Password!,
            BrokerAccounts.WriteGatewayConfig(scratch.Path, "gw-a", new MqttAccount("gw-a", "a-pass"), "st001"));
        await using var cluster = await NatsCluster.StartAsync(authorization);
        await using var influxd = await InfluxdServer.StartAsync();
        var port = FreePort.Next();
        await using var process = ManagedProcess.Start("irrigation-server", RepoPaths.Server, ["--urls", $"http://127.0.0.1:{port}/"], scratch.File("server.log"),
            Environment(cluster, influxd, "refused", scratch, server, "wrong-password"), scratch.Path);

        var line = await process.WaitForLineAsync(l => l.Contains("Shared stream: cannot connect", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        output.WriteLine(line);
        Assert.Contains("as user 'irrigation-server'", line, StringComparison.Ordinal);
        Assert.Contains("Authorization Violation", line, StringComparison.OrdinalIgnoreCase);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        await Poll.UntilAsync(async () =>
        {
            try
            {
                using var response = await http.GetAsync(new Uri("health/ready", UriKind.Relative));
                return response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable;
            }
            catch (HttpRequestException)
            {
                return false; // not listening yet
            }
        }, "the server answers /health/ready with 503", TimeSpan.FromSeconds(30));
        Assert.False(process.HasExited, process.Tail());
    }

    private static Dictionary<string, string> Environment(NatsCluster cluster, InfluxdServer influxd, string database, ScratchDirectory scratch, MqttAccount server, string natsPassword) => new()
    {
        ["Irrigation__Mqtt__Brokers__0"] = cluster.MqttAddressesFrom(2)[0],
        ["Irrigation__Mqtt__Brokers__1"] = cluster.MqttAddressesFrom(2)[1],
        ["Irrigation__Mqtt__Brokers__2"] = cluster.MqttAddressesFrom(2)[2],
        ["Irrigation__Mqtt__Protocol"] = "3.1.1",
        ["Irrigation__Mqtt__ClientId"] = "irrigation-server-accounts-" + Guid.NewGuid().ToString("N")[..6],
        ["Irrigation__Mqtt__Username"] = server.Username,
        ["Irrigation__Mqtt__Password"] = server.Password!,
        ["Irrigation__SharedStream__Servers"] = cluster.NatsServers,
        ["Irrigation__SharedStream__Username"] = server.Username,
        ["Irrigation__SharedStream__Password"] = natsPassword,
        ["Irrigation__SharedStream__AckWait"] = "00:00:05",
        ["Irrigation__Influx__Url"] = influxd.Url.ToString(),
        ["Irrigation__Influx__Database"] = database,
        ["Irrigation__DataDirectory"] = scratch.File("server-data"),
        ["Irrigation__Auth__PasswordIterations"] = "10000",
        ["Irrigation__Auth__Users__0__Username"] = ApiUser,
        ["Irrigation__Auth__Users__0__Password"] = ApiPassword,
        ["Irrigation__Auth__Users__0__Role"] = "viewer",
    };

    private static async Task<(ManagedProcess Process, HttpClient Http)> StartServerAsync(NatsCluster cluster, InfluxdServer influxd, string database, ScratchDirectory scratch, MqttAccount server, string natsPassword)
    {
        var port = FreePort.Next();
        var process = await ServerProcess.StartAsync(port, Environment(cluster, influxd, database, scratch, server, natsPassword), scratch.File("server.log"), scratch.Path);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.PostAsync(new Uri("api/auth/tokens", UriKind.Relative),
            new StringContent($$"""{"username":"{{ApiUser}}","password":"{{ApiPassword}}","name":"tests"}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"token: {(int)response.StatusCode} {body}");
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["token"]!.GetValue<string>());
        return (process, http);
    }

    private static async Task<SortedDictionary<string, long>> CountsAsync(InfluxQueryClient query)
    {
        var result = await query.QueryAsync("SELECT count(\"seq\") FROM \"station\" GROUP BY \"station\"");
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var series in result.Series)
            counts[series.Tags["station"]] = series.Value(0, "count").GetInt64();
        return counts;
    }
}
