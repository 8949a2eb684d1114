using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests.Commands;

/// <summary>
/// Pump commands through a three-node NATS cluster (MQTT 3.1.1; the server reads telemetry from the shared stream) while
/// the node the gateway is connected to is killed with -9: every command ends confirmed or clearly failed, none is left
/// pending. Real nats-server ×3, influxd, irrigation-server, irrigation-gateway and firmware-sim processes.
/// </summary>
[Collection("SystemFlows")]
public sealed class ClusterCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Commands_GatewaysBrokerNodeKilled_EveryCommandConfirmedOrClearlyFailed()
    {
        await using var cluster = await NatsCluster.StartAsync();
        // The MQTT layer's streams exist once a client connected; the gateway then sits on the node leading the QoS 1
        // stream, so its kill also costs an election.
        await using (var first = new ReconnectingMqttClient(cluster.ClientOptions(1, "streams", clean: true)))
            await first.ConnectAsync(CancellationToken.None);
        var leader = await cluster.WaitForStreamLeaderAsync("$MQTT_msgs", TimeSpan.FromSeconds(30));
        var fromLeader = cluster.MqttAddressesFrom(leader);
        var options = new SystemStackOptions { Stations = 1, GatewayBrokerPort = cluster.MqttPort(leader) };
        options.ConfigureGateway = config => config["mqtt"] = new JsonObject
        {
            ["protocol"] = "3.1.1",
            ["brokers"] = new JsonArray([.. fromLeader.Select(a => (JsonNode?)JsonValue.Create(a))]),
        };
        for (var i = 0; i < NatsCluster.Size; i++)
            options.ServerEnvironment[$"Irrigation__Mqtt__Brokers__{i}"] = fromLeader[(i + 1) % NatsCluster.Size]; // another node first
        options.ServerEnvironment["Irrigation__Mqtt__Protocol"] = "3.1.1";
        options.ServerEnvironment["Irrigation__SharedStream__Servers"] = cluster.NatsServers;
        options.ServerEnvironment["Irrigation__Commands__Lifetime"] = "00:00:20";
        await using var stack = await SystemStack.StartAsync("cluster-commands", options);
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(60));
        using var client = await stack.SignInAsync("operator");

        var outcomes = new List<(string Action, string State, TimeSpan Took, bool DuringFailover)>();
        var killed = Stopwatch.StartNew();
        string[] actions = ["start", "stop", "start", "stop", "start", "stop"];
        for (var i = 0; i < actions.Length; i++)
        {
            var failover = i == 2;
            if (failover)
            {
                await cluster.KillAsync(leader); // the gateway's node, leading the QoS 1 stream
                killed.Restart();
            }

            var asked = Stopwatch.StartNew();
            using var response = await OperatorApiTests.CommandAsync(client, "st001", 1, actions[i]);
            var body = await OperatorApiTests.JsonAsync(response);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                // Refused before anything was sent (the station seen offline during the failover): clearly failed.
                outcomes.Add((actions[i], $"refused {body["code"]?.GetValue<string>()}", asked.Elapsed, failover));
                await Task.Delay(2000);
                continue;
            }

            var final = await OperatorApiTests.WaitForFinalAsync(client, body["id"]!.GetValue<string>(), TimeSpan.FromSeconds(60));
            outcomes.Add((actions[i], final["state"]!.GetValue<string>(), asked.Elapsed, failover));
        }

        var report = string.Join("\n", outcomes.Select(o => $"{o.Action}: {o.State} in {o.Took.TotalSeconds:0.0} s{(o.DuringFailover ? " (asked right after the kill)" : "")}"));
        output.WriteLine($"node {leader} killed (the gateway's, leading $MQTT_msgs)\n{report}");
        Assert.DoesNotContain(outcomes, o => o.State is "pending" or "sent");
        Assert.Equal("succeeded", outcomes[0].State);
        Assert.Equal("succeeded", outcomes[1].State);
        // Once the cluster elected its new leaders, commands work again through the other nodes.
        Assert.Equal("succeeded", outcomes[^1].State);
        Assert.Equal("succeeded", outcomes[^2].State);
    }
}
