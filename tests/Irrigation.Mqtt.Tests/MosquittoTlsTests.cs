using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.Peers;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>
/// TLS against mosquitto with certificates made in the test: a server-auth listener and a mutual-TLS listener
/// (require_certificate), the client trusting only the CA file it is given.
/// </summary>
public sealed class MosquittoTlsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly int _tlsPort = FreePort.Next();
    private readonly int _mutualTlsPort = FreePort.Next();
    private MosquittoBroker? _broker;

    private MosquittoBroker Broker => _broker!;

    private string File(string name) => Path.Combine(Broker.Directory, name);

    public async Task InitializeAsync()
    {
        _broker = await MosquittoBroker.StartAsync(directory =>
        {
            using (var ca = TestCertificateAuthority.Create("Irrigation test CA"))
            {
                ca.WriteCertificate(Path.Combine(directory, "ca.pem"));
                ca.Issue("127.0.0.1", server: true, Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
                ca.Issue("gateway", server: false, Path.Combine(directory, "client.pem"), Path.Combine(directory, "client.key"));
            }

            using (var other = TestCertificateAuthority.Create("Some other CA"))
                other.WriteCertificate(Path.Combine(directory, "other-ca.pem"));

            return Task.FromResult(string.Join('\n',
                $"listener {_tlsPort} 127.0.0.1",
                $"cafile {directory}/ca.pem",
                $"certfile {directory}/server.pem",
                $"keyfile {directory}/server.key",
                "require_certificate false",
                $"listener {_mutualTlsPort} 127.0.0.1",
                $"cafile {directory}/ca.pem",
                $"certfile {directory}/server.pem",
                $"keyfile {directory}/server.key",
                "require_certificate true"));
        });
        // The broker is probed on its first listener only; the TLS listeners, which load certificates, can open a
        // moment later (a full run once refused the mutual-TLS port).
        await Irrigation.Testing.FreePort.WaitUntilOpenAsync(_tlsPort, TimeSpan.FromSeconds(10), "mosquitto TLS listener");
        await Irrigation.Testing.FreePort.WaitUntilOpenAsync(_mutualTlsPort, TimeSpan.FromSeconds(10), "mosquitto mutual-TLS listener");
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
            await _broker.DisposeAsync();
    }

    [Fact]
    public async Task ConnectAsync_CaFileThatSignedTheBroker_PublishesAndReceivesOverTls()
    {
        await using var client = new ReconnectingMqttClient(Options(_tlsPort, "ca.pem"), new TestLogger(output));
        await client.ConnectAsync(CancellationToken.None);
        await client.SubscribeOneAsync($"test/{_id}/tls");

        await client.PublishAsync(new MqttApplicationMessage($"test/{_id}/tls", "over-tls"u8.ToArray(), MqttQualityOfService.AtLeastOnce), CancellationToken.None);

        Assert.Equal("over-tls", (await client.ReadOneAsync(Deadline)).Text());
    }

    [Fact]
    public async Task ConnectAsync_DifferentCa_FailsWithTransportFailureNamingTheCertificateProblem()
    {
        await using var client = new ReconnectingMqttClient(Options(_tlsPort, "other-ca.pem"), new TestLogger(output));

        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(CancellationToken.None));

        Assert.Equal(MqttConnectReturnCode.TransportFailure, ex.ReturnCode);
        Assert.Contains("TLS handshake", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"is not signed by the CA in {File("other-ca.pem")}", ex.Message, StringComparison.Ordinal);
        output.WriteLine(ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_WrongTargetHost_FailsWithNameMismatch()
    {
        var options = Options(_tlsPort, "ca.pem");
        options.Tls!.TargetHost = "broker.example";
        await using var client = new ReconnectingMqttClient(options, new TestLogger(output));

        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(CancellationToken.None));

        Assert.Contains("does not name the host", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_MutualTls_ConnectsWithClientCertificateAndFailsWithout()
    {
        var options = Options(_mutualTlsPort, "ca.pem");
        options.Tls!.ClientCertificatePath = File("client.pem");
        options.Tls.ClientKeyPath = File("client.key");
        await using (var client = new ReconnectingMqttClient(options, new TestLogger(output, "with-cert")))
        {
            await client.ConnectAsync(CancellationToken.None);
            Assert.True(client.IsConnected);
        }

        await using var anonymous = new ReconnectingMqttClient(Options(_mutualTlsPort, "ca.pem"), new TestLogger(output, "no-cert"));
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => anonymous.ConnectAsync(CancellationToken.None));
        Assert.Equal(MqttConnectReturnCode.TransportFailure, ex.ReturnCode);
        output.WriteLine(ex.Message);
    }

    private MqttClientOptions Options(int port, string caFile)
    {
        var options = Broker.ClientOptions($"tls-{_id}");
        options.Port = port;
        options.ConnectTimeout = TimeSpan.FromSeconds(5);
        options.Tls = new MqttTlsOptions { CaCertificatePath = File(caFile) };
        return options;
    }
}
