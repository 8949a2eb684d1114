using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Influx.Query;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Tests.TestSupport;
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
        var instance = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "accounts", mqttNode: 2, Accounts(server, server.Password!));
        await using (instance.Process)
        using (instance.Http)
        {
            Assert.Contains(instance.Process.Lines, l => l.Contains("Ingesting JetStream $MQTT_msgs $MQTT.msgs.irrigation.*.telemetry (shared consumer irrigation-ingest)", StringComparison.Ordinal));

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
                counts = await SharedStreamInstance.CountsAsync(query);
            }

            output.WriteLine("stored per station: " + string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")));
            Assert.Equal(PerStation, counts.GetValueOrDefault("st001"));
            Assert.Equal(PerStation, counts.GetValueOrDefault("st002"));
            Assert.False(counts.ContainsKey("st003"), $"gw-a's forged telemetry for st003 was stored: {counts.GetValueOrDefault("st003")}");
            Assert.Contains("Publish Violation - User \"gw-a\", Subject \"irrigation.st003.telemetry\"", cluster.Log(1), StringComparison.Ordinal);
            // The view of the whole stream (a plain NATS subscription under the server's account) saw gw-a's stations.
            var latest = JsonNode.Parse(await instance.Http.GetStringAsync(new Uri("api/stations/latest", UriKind.Relative)))!.AsArray();
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
            SharedStreamInstance.EnvironmentFor(cluster, influxd, "refused", scratch, "refused", mqttNode: 2, Accounts(server, "wrong-password")), scratch.Path);

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

    /// <summary>The instance's settings for the cluster's accounts: the server's account over MQTT, and over NATS with <paramref name="natsPassword"/>.</summary>
    private static Dictionary<string, string> Accounts(MqttAccount server, string natsPassword) => new()
    {
        ["Irrigation__Mqtt__Username"] = server.Username,
        ["Irrigation__Mqtt__Password"] = server.Password!,
        ["Irrigation__SharedStream__Username"] = server.Username,
        ["Irrigation__SharedStream__Password"] = natsPassword,
    };
}
