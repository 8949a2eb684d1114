using System.Globalization;
using Irrigation.Contracts;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Deployment.Tests.Broker;

/// <summary>
/// A real three-node NATS cluster (nats-server 2.9, config/cluster/nats-node.conf) with the authorization block of
/// irrigation-probe nats-auth made from two gateway configurations (gw-a: sa1, sa2; gw-b: sb1). Publishers use node 1,
/// subscribers node 2, so every delivery crosses a route. nats-server acknowledges a QoS 1 PUBLISH its permissions
/// refuse (PUBACK, then drops it: server/mqtt.go, mqttProcessPub), so a denied publish is asserted as absence at a
/// subscriber that first received a positive control sent after it, and as the node's "Publish Violation" log line.
/// </summary>
public sealed class NatsClusterAuthorizationTests(NatsClusterAuthorizationTests.Deployment deployment, ITestOutputHelper output) : IClassFixture<NatsClusterAuthorizationTests.Deployment>
{
    private const string Root = Topics.DefaultRoot;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly string _marker = Guid.NewGuid().ToString("N")[..12];

    private int PublishPort => deployment.Cluster.MqttPort(1);

    private int SubscribePort => deployment.Cluster.MqttPort(2);

    [Fact]
    public async Task Accounts_WrongPasswordAnotherGatewaysPasswordOrAnonymous_ConnackNotAuthorized()
    {
        Assert.Equal(5, await ConnackAsync(deployment.GatewayA with { Password = "wrong" }));
        Assert.Equal(5, await ConnackAsync(deployment.GatewayA with { Password = deployment.GatewayB.Password }));
        Assert.Equal(5, await ConnackAsync(deployment.Server with { Password = "wrong" }));
        Assert.Equal(5, await ConnackAsync(null));
        Assert.Equal(0, await ConnackAsync(deployment.GatewayA));
        Assert.Contains("authentication error - User \"gw-a\"", deployment.Cluster.Log(1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayAccount_PublishesItsOwnStationsTelemetry_TheServerReceivesItOnAnotherNode()
    {
        await using var server = await SubscribeAsync(deployment.Server, Topics.AllTelemetry(Root));
        Assert.All(server.Subscriptions, s => Assert.True(s.Succeeded, $"{s.Filter}: refused ({s.ReturnCode:X2})"));

        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.GatewayA, Topics.Telemetry(Root, "sa2"), _marker);

        await server.WaitForAsync(Topics.Telemetry(Root, "sa2"), _marker, Deadline);
    }

    [Fact]
    public async Task GatewayAccount_PublishesAnotherGatewaysTopics_AcknowledgedButNeverDelivered()
    {
        await using var server = await SubscribeAsync(deployment.Server, Root + "/#");
        Assert.All(server.Subscriptions, s => Assert.True(s.Succeeded, $"{s.Filter}: refused ({s.ReturnCode:X2})"));

        // Exit 0: mosquitto_pub had its PUBACK for each of these.
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.GatewayA, Topics.Telemetry(Root, "sb1"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.GatewayA, Topics.StationStatus(Root, "sb1"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.GatewayA, Topics.GatewayStatus(Root, "gw-b"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.GatewayA, Topics.Command(Root, "sa1"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.GatewayB, Topics.PlanSet(Root, "gw-b"), "forged-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.GatewayA, Topics.Telemetry(Root, "sa1"), "control-" + _marker);

        await server.WaitForAsync(Topics.Telemetry(Root, "sa1"), "control-" + _marker, Deadline);
        Assert.False(server.HasReceived("forged-" + _marker), $"a forged message arrived: {server.Describe()}");
        var log = deployment.Cluster.Log(1);
        Assert.Contains("Publish Violation - User \"gw-a\", Subject \"irrigation.sb1.telemetry\"", log, StringComparison.Ordinal);
        Assert.Contains("Publish Violation - User \"gw-b\", Subject \"irrigation.gateways.gw-b.plan\"", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayAccount_SubscribesToAnotherGatewaysCommands_SubackFailure_OwnCommandsArrive()
    {
        await using var gatewayA = await SubscribeAsync(deployment.GatewayA,
            Topics.Command(Root, "sb1"), Topics.RepairRequest(Root, "gw-b"), Topics.PlanSet(Root, "gw-b"), Root + "/#", Topics.Command(Root, "sa1"));

        Assert.Equal([false, false, false, false, true], gatewayA.Subscriptions.Select(s => s.Succeeded));
        Assert.Equal(0x80, (int)gatewayA.Subscriptions[0].ReturnCode);
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.Server, Topics.Command(Root, "sb1"), "foreign-" + _marker);
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.Server, Topics.Command(Root, "sa1"), "control-" + _marker);
        await gatewayA.WaitForAsync(Topics.Command(Root, "sa1"), "control-" + _marker, Deadline);
        Assert.False(gatewayA.HasReceived("foreign-" + _marker), $"gw-a read gw-b's topics: {gatewayA.Describe()}");
        Assert.Contains("Subscription Violation - User \"gw-a\", Subject \"irrigation.sb1.cmd\"", deployment.Cluster.Log(2), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plans_ServerSendsRetainedPlan_TheGatewayReadsItsOwnOnAnotherNode()
    {
        await MosquittoPublisher.PublishAcceptedAsync(PublishPort, deployment.Server, Topics.PlanSet(Root, "gw-a"), "plan-" + _marker, ["-r"]);

        await using var gatewayA = await SubscribeAsync(deployment.GatewayA, Topics.PlanSet(Root, "gw-a"), Topics.ServerTime(Root));

        Assert.All(gatewayA.Subscriptions, s => Assert.True(s.Succeeded, $"{s.Filter}: refused ({s.ReturnCode:X2})"));
        await gatewayA.WaitForAsync(Topics.PlanSet(Root, "gw-a"), "plan-" + _marker, Deadline);
    }

    [Fact]
    public async Task NatsProtocol_GatewayAccountRefused_ServerAccountAccepted()
    {
        // A gateway's password opens MQTT only (allowed_connection_types): not the NATS port the servers read the stream on.
        Assert.StartsWith("-ERR 'Authorization Violation'", await NatsConnectAsync(deployment.GatewayA), StringComparison.Ordinal);
        Assert.StartsWith("-ERR 'Authorization Violation'", await NatsConnectAsync(deployment.Server with { Password = "wrong" }), StringComparison.Ordinal);
        Assert.Equal("PONG", await NatsConnectAsync(deployment.Server));
    }

    /// <summary>
    /// The NATS client protocol by hand (docs.nats.io, "Client Protocol"): read INFO, send CONNECT with user and password
    /// and a PING; the first line after is PONG when the login is accepted, -ERR when it is not.
    /// </summary>
    private async Task<string> NatsConnectAsync(MqttAccount account)
    {
        var port = new Uri(deployment.Cluster.NatsServers.Split(',')[0]).Port;
        using var tcp = new System.Net.Sockets.TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tcp.ConnectAsync("127.0.0.1", port, timeout.Token);
        await using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        var info = await reader.ReadLineAsync(timeout.Token);
        Assert.StartsWith("INFO ", info, StringComparison.Ordinal);
        var connect = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["verbose"] = false, ["pedantic"] = false, ["user"] = account.Username, ["pass"] = account.Password!, ["protocol"] = 1,
        });
        var bytes = System.Text.Encoding.ASCII.GetBytes($"CONNECT {connect}\r\nPING\r\n");
        await stream.WriteAsync(bytes, timeout.Token);
        var answer = await reader.ReadLineAsync(timeout.Token) ?? "(closed)";
        output.WriteLine($"NATS {account.Username}: {answer}");
        return answer;
    }

    /// <summary>mosquitto_pub's CONNACK return code (0 accepted, 5 not authorized); -1 when none was printed.</summary>
    private async Task<int> ConnackAsync(MqttAccount? account)
    {
        var arguments = new List<string> { "-h", "127.0.0.1", "-p", PublishPort.ToString(CultureInfo.InvariantCulture), "-V", "mqttv311", "-q", "1", "-t", Topics.Telemetry(Root, "sa1"), "-m", "connack-" + _marker, "-d" };
        if (account is not null)
            arguments.AddRange(["-u", account.Username, "-P", account.Password!]);
        await using var publisher = ManagedProcess.Start("mosquitto_pub", RequiredTool.Find("mosquitto_pub", "mosquitto-clients"), arguments);
        await publisher.WaitForExitAsync(TimeSpan.FromSeconds(15));
        output.WriteLine($"{account?.Username ?? "anonymous"}: {publisher.Output.Trim()}");
        var line = publisher.Output.Split('\n').FirstOrDefault(l => l.Contains("received CONNACK (", StringComparison.Ordinal));
        if (line is null)
            return -1;
        var start = line.IndexOf("CONNACK (", StringComparison.Ordinal) + "CONNACK (".Length;
        return int.Parse(line[start..line.IndexOf(')', start)], CultureInfo.InvariantCulture);
    }

    private Task<TopicSubscriber> SubscribeAsync(MqttAccount account, params string[] filters) =>
        TopicSubscriber.StartAsync(SubscribePort, account, Irrigation.Mqtt.Client.MqttProtocol.V311, new TestLogger(output, account.Username), filters);

    /// <summary>The cluster and its accounts, made once for the class by irrigation-probe nats-auth.</summary>
    public sealed class Deployment : IAsyncLifetime, IDisposable
    {
        private readonly ScratchDirectory _directory = new("nats-cluster-auth");
        private NatsCluster? _cluster;

        public MqttAccount Server { get; } = new("irrigation-server", "server-" + Guid.NewGuid().ToString("N"));

        public MqttAccount GatewayA { get; } = new("gw-a", "a-" + Guid.NewGuid().ToString("N"));

        public MqttAccount GatewayB { get; } = new("gw-b", "b-" + Guid.NewGuid().ToString("N"));

        public NatsCluster Cluster => _cluster!;

        public async Task InitializeAsync()
        {
            var authorization = await BrokerAccounts.NatsAuthorizationAsync(_directory.Path, Server.Password!,
                BrokerAccounts.WriteGatewayConfig(_directory.Path, "gw-a", GatewayA, "sa1", "sa2"),
                BrokerAccounts.WriteGatewayConfig(_directory.Path, "gw-b", GatewayB, "sb1"));
            _cluster = await NatsCluster.StartAsync(authorization);
        }

        public async Task DisposeAsync()
        {
            if (_cluster is not null)
                await _cluster.DisposeAsync();
            Dispose();
        }

        public void Dispose() => _directory.Dispose();
    }
}
