using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Messaging;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests.Messaging;

/// <summary>
/// The server's MQTT sessions against a real three-node NATS cluster whose MQTT listeners take TLS only (the server
/// certificate of scripts/make-certs.sh): with Irrigation:Mqtt:TlsCaFile they connect and a message crosses from node 1
/// to node 2; without it they cannot connect at all — a node has one MQTT listener.
/// </summary>
public sealed class ServerMqttClientFactoryTlsTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly ScratchDirectory _directory = new("server-mqtt-tls");
    private NatsCluster? _cluster;

    private string Ca => Path.Combine(_directory.File("certs"), "ca.pem");

    public async Task InitializeAsync()
    {
        var certs = _directory.File("certs");
        await using (var script = ManagedProcess.Start("make-certs.sh", Path.Combine(RepoPaths.Root, "scripts", "make-certs.sh"), [certs, "gw-01"]))
        {
            var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitCode == 0, $"scripts/make-certs.sh exited {exitCode}:\n{script.Output}");
        }

        _cluster = await NatsCluster.StartAsync(mqttTls: NatsCluster.MqttTlsBlock(Path.Combine(certs, "server.pem"), Path.Combine(certs, "server.key")));
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Create_WithTlsCaFile_ConnectsOverTls_AndReceivesFromAnotherNode()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        using var timeout = new CancellationTokenSource(Deadline);
        await using var subscriber = ServerMqttClientFactory.Create(Options(2, "sub-" + marker, Ca), "-ingest", new TestLogger(output, "sub"));
        await subscriber.ConnectAsync(timeout.Token);
        var granted = await subscriber.SubscribeAsync([new MqttTopicFilter("tls-test/+")], timeout.Token);
        Assert.All(granted, s => Assert.True(s.Succeeded, $"{s.Filter}: refused ({s.ReturnCode:X2})"));

        await using var publisher = ServerMqttClientFactory.Create(Options(1, "pub-" + marker, Ca), "-commands", new TestLogger(output, "pub"));
        await publisher.ConnectAsync(timeout.Token);
        await publisher.PublishAsync(new MqttApplicationMessage("tls-test/1", Encoding.ASCII.GetBytes(marker), MqttQualityOfService.AtLeastOnce), timeout.Token);

        while (true)
        {
            var message = await subscriber.Messages.ReadAsync(timeout.Token);
            if (Encoding.ASCII.GetString(message.Payload.Span) == marker)
                break;
        }
    }

    [Fact]
    public async Task Create_WithoutTlsCaFile_CannotConnectToTheTlsListener()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        await using var plain = ServerMqttClientFactory.Create(Options(1, "plain-" + Guid.NewGuid().ToString("N")[..8], ca: null), "-ingest", new TestLogger(output, "plain"));

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => plain.ConnectAsync(timeout.Token));

        output.WriteLine($"plain: {refused.GetType().Name}: {refused.Message}");
        Assert.False(timeout.IsCancellationRequested, "the plain client waited out the deadline instead of failing");
    }

    private ServerMqttOptions Options(int node, string clientId, string? ca)
    {
        var options = new ServerMqttOptions
        {
            Brokers = [$"127.0.0.1:{_cluster!.MqttPort(node)}"],
            ClientId = clientId,
            Protocol = "3.1.1",
            TlsCaFile = ca,
        };
        options.Validate();
        return options;
    }
}
