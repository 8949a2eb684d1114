using System.Globalization;
using System.Security.Authentication;
using System.Text;
using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Deployment.Tests.Broker;

/// <summary>
/// A real three-node NATS cluster (nats-server 2.9, config/cluster/nats-node.conf) whose MQTT listeners take TLS only:
/// the server certificate of scripts/make-certs.sh in nats-mqtt-tls.conf, and the accounts of irrigation-probe
/// nats-auth — a gateway signs in with its password, which now crosses the link encrypted. The publisher uses node 1,
/// the subscriber node 2, so the message also crosses a route.
/// </summary>
public sealed class NatsClusterTlsTests(NatsClusterTlsTests.Deployment deployment, ITestOutputHelper output) : IClassFixture<NatsClusterTlsTests.Deployment>
{
    private const string Root = Topics.DefaultRoot;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly string _marker = Guid.NewGuid().ToString("N")[..12];

    private int PublishPort => deployment.Cluster.MqttPort(1);

    [Fact]
    public void MqttTlsBlock_CertificateAndKey_ExactText()
    {
        Assert.Equal(
            "tls {\n  cert_file: \"/etc/nats/certs/server.pem\"\n  key_file: \"/etc/nats/certs/server.key\"\n  timeout: 5\n}\n",
            NatsCluster.MqttTlsBlock("/etc/nats/certs/server.pem", "/etc/nats/certs/server.key"));
    }

    [Fact]
    public void NodeLog_MqttListener_IsTls()
    {
        for (var node = 1; node <= NatsCluster.Size; node++)
            Assert.Contains($"Listening for MQTT clients on tls://127.0.0.1:{deployment.Cluster.MqttPort(node)}", deployment.Cluster.Log(node), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayAccountOverTls_PublishesTelemetry_TheServerReceivesItOnAnotherNode()
    {
        await using var server = new ReconnectingMqttClient(Options(2, "tls-server", deployment.Server, deployment.Ca), new TestLogger(output, "server"));
        using var timeout = new CancellationTokenSource(Deadline);
        await server.ConnectAsync(timeout.Token);
        var granted = await server.SubscribeAsync([new MqttTopicFilter(Topics.AllTelemetry(Root))], timeout.Token);
        Assert.All(granted, s => Assert.True(s.Succeeded, $"{s.Filter}: refused ({s.ReturnCode:X2})"));

        // The gateway's client as its Program.cs builds it from mqtt.tlsCaFile, with its account password.
        await using var gateway = new ReconnectingMqttClient(Options(1, "tls-gw-a", deployment.GatewayA, deployment.Ca), new TestLogger(output, "gw-a"));
        await gateway.ConnectAsync(timeout.Token);
        await gateway.PublishAsync(new MqttApplicationMessage(Topics.Telemetry(Root, "sa1"), Encoding.ASCII.GetBytes(_marker), MqttQualityOfService.AtLeastOnce), timeout.Token);

        while (true)
        {
            var message = await server.Messages.ReadAsync(timeout.Token);
            if (message.Topic == Topics.Telemetry(Root, "sa1") && Encoding.ASCII.GetString(message.Payload.Span) == _marker)
                break;
        }
    }

    [Fact]
    public async Task PlainClient_OnTheTlsListener_IsRefused()
    {
        // The right account without TLS: the node reads the CONNECT as a broken TLS record and closes the connection.
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(PublishPort, deployment.GatewayA, Topics.Telemetry(Root, "sa1"), "plain-" + _marker));
        Assert.Contains("TLS handshake error", deployment.Cluster.Log(1), StringComparison.Ordinal);

        await using var plain = new ReconnectingMqttClient(Options(1, "tls-plain", deployment.GatewayA, ca: null), new TestLogger(output, "plain"));
        using var timeout = new CancellationTokenSource(Deadline);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => plain.ConnectAsync(timeout.Token));
        output.WriteLine($"plain client: {Describe(refused)}");
        Assert.False(timeout.IsCancellationRequested, "the plain client waited out the test's deadline instead of failing");
    }

    [Fact]
    public async Task ClientTrustingAnotherCa_CertificateValidationFails()
    {
        await using var client = new ReconnectingMqttClient(Options(1, "tls-other-ca", deployment.GatewayA, deployment.OtherCa), new TestLogger(output, "other-ca"));
        using var timeout = new CancellationTokenSource(Deadline);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(timeout.Token));

        output.WriteLine($"other CA: {Describe(refused)}");
        Assert.Contains(Chain(refused), e => e is AuthenticationException);
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(PublishPort, deployment.GatewayA, Topics.Telemetry(Root, "sa1"), "other-ca-" + _marker, ["--cafile", deployment.OtherCa]));
    }

    [Fact]
    public async Task RightCaWrongPassword_ConnackNotAuthorized()
    {
        Assert.Equal(5, await ConnackAsync(deployment.GatewayA with { Password = "wrong" }));
        Assert.Equal(5, await ConnackAsync(deployment.GatewayA with { Password = deployment.Server.Password }));
        Assert.Equal(0, await ConnackAsync(deployment.GatewayA));
    }

    private MqttClientOptions Options(int node, string clientId, MqttAccount account, string? ca)
    {
        var options = deployment.Cluster.ClientOptions(node, clientId + "-" + _marker, clean: true, username: account.Username, password: account.Password);
        options.Brokers = [$"127.0.0.1:{deployment.Cluster.MqttPort(node)}"]; // one node: a refusal is that node's, not a fall-through to the next
        options.Tls = ca is null ? null : new MqttTlsOptions { CaCertificatePath = ca };
        return options;
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
            yield return e;
    }

    private static string Describe(Exception exception) => string.Join(" <- ", Chain(exception).Select(e => $"{e.GetType().Name}: {e.Message}"));

    /// <summary>mosquitto_pub over TLS trusting the cluster's CA: its CONNACK return code (0 accepted, 5 not authorized); -1 when none.</summary>
    private async Task<int> ConnackAsync(MqttAccount account)
    {
        string[] arguments =
        [
            "-h", "127.0.0.1", "-p", PublishPort.ToString(CultureInfo.InvariantCulture), "-V", "mqttv311", "-q", "1", "-d",
            "--cafile", deployment.Ca, "-u", account.Username, "-P", account.Password!, "-t", Topics.Telemetry(Root, "sa1"), "-m", "connack-" + _marker,
        ];
        await using var publisher = ManagedProcess.Start("mosquitto_pub", RequiredTool.Find("mosquitto_pub", "mosquitto-clients"), arguments);
        await publisher.WaitForExitAsync(TimeSpan.FromSeconds(15));
        output.WriteLine($"{account.Username}: {publisher.Output.Trim()}");
        var line = publisher.Output.Split('\n').FirstOrDefault(l => l.Contains("received CONNACK (", StringComparison.Ordinal));
        if (line is null)
            return -1;
        var start = line.IndexOf("CONNACK (", StringComparison.Ordinal) + "CONNACK (".Length;
        return int.Parse(line[start..line.IndexOf(')', start)], CultureInfo.InvariantCulture);
    }

    /// <summary>Certificates from scripts/make-certs.sh (and a second CA), accounts from irrigation-probe nats-auth, the cluster with TLS.</summary>
    public sealed class Deployment : IAsyncLifetime, IDisposable
    {
        private readonly ScratchDirectory _directory = new("nats-cluster-tls");
        private NatsCluster? _cluster;

        public MqttAccount Server { get; } = new("irrigation-server", "server-" + Guid.NewGuid().ToString("N"));

        public MqttAccount GatewayA { get; } = new("gw-a", "a-" + Guid.NewGuid().ToString("N"));

        public NatsCluster Cluster => _cluster!;

        public string Ca => Path.Combine(_directory.File("certs"), "ca.pem");

        public string OtherCa => Path.Combine(_directory.File("other-ca"), "ca.pem");

        public async Task InitializeAsync()
        {
            var certs = _directory.File("certs");
            await DeploymentCommands.MakeCertificatesAsync(certs, "gw-a");
            await DeploymentCommands.MakeCertificatesAsync(_directory.File("other-ca"), "gw-a");
            var authorization = await BrokerAccounts.NatsAuthorizationAsync(_directory.Path, Server.Password!,
                BrokerAccounts.WriteGatewayConfig(_directory.Path, "gw-a", GatewayA, "sa1", "sa2"));
            _cluster = await NatsCluster.StartAsync(authorization, NatsCluster.MqttTlsBlock(Path.Combine(certs, "server.pem"), Path.Combine(certs, "server.key")));
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
