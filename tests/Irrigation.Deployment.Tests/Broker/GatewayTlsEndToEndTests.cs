using System.Text.Json.Nodes;
using Irrigation.Contracts;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Deployment.Tests.Broker;

/// <summary>
/// A field link over TLS, made as a deployment makes it: scripts/make-certs.sh, the ACL from irrigation-probe mqtt-acl
/// and the password file from scripts/mqtt-passwd.sh, a real mosquitto with a TLS listener that requires a client
/// certificate and takes its common name as the account, and the real simulator and gateway processes — the gateway
/// with its client certificate and no password.
/// </summary>
public sealed class GatewayTlsEndToEndTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly ScratchDirectory _directory = new("gateway-tls");
    private readonly MqttAccount _server = new("irrigation-server", "server-" + Guid.NewGuid().ToString("N"));
    private readonly int _tlsPort = FreePort.Next();
    private SimulatorProcess? _simulator;
    private MosquittoBroker? _broker;
    private ManagedProcess? _gateway;

    private string Certs => _directory.File("certs");

    private const string Root = Topics.DefaultRoot;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorProcess.StartAsync(_directory.File("station-side"), stations: 2, mqttPort: _tlsPort);
        var configPath = _simulator.GatewayConfig!;
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        var username = config["id"]!.GetValue<string>();
        var mqtt = config["mqtt"]!.AsObject();
        mqtt["username"] = username; // the account, and the common name of its certificate; no password
        mqtt["tlsCaFile"] = Path.Combine(Certs, "ca.pem");
        mqtt["tlsCertFile"] = Path.Combine(Certs, $"{username}.pem");
        mqtt["tlsKeyFile"] = Path.Combine(Certs, $"{username}.key");
        config["publishing"] = new JsonObject { ["snapshotInterval"] = "00:00:02" };
        File.WriteAllText(configPath, config.ToJsonString());

        await DeploymentCommands.MakeCertificatesAsync(Certs, username);
        await DeploymentCommands.MakeCertificatesAsync(_directory.File("other-ca"), username);
        var acl = _directory.File("mosquitto.acl");
        var passwords = _directory.File("mosquitto.passwd");
        await DeploymentCommands.WriteAclAsync(acl, configPath);
        await DeploymentCommands.WritePasswordFileAsync(passwords, _server.Password!, configPath);
        _broker = await MosquittoBroker.StartAsync(
            _ => Task.FromResult(string.Join('\n',
                $"password_file {passwords}",
                $"acl_file {acl}",
                $"listener {_tlsPort} 127.0.0.1",
                $"cafile {Certs}/ca.pem",
                $"certfile {Certs}/server.pem",
                $"keyfile {Certs}/server.key",
                "require_certificate true",
                "use_identity_as_username true")),
            allowAnonymous: false);
        await FreePort.WaitUntilOpenAsync(_tlsPort, TimeSpan.FromSeconds(10), "mosquitto TLS listener");
        _gateway = await GatewayProcess.StartAsync(configPath, _directory.File("gateway.log"));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
            await _gateway.DisposeAsync();
        if (_broker is not null)
            await _broker.DisposeAsync();
        if (_simulator is not null)
            await _simulator.DisposeAsync();
    }

    /// <summary>After <see cref="DisposeAsync"/> (xunit's order): the processes are gone, their files can go.</summary>
    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Gateway_WithItsClientCertificate_TelemetryOfEveryStationArrives()
    {
        await using var server = await TopicSubscriber.StartAsync(_broker!.Port, _server, new TestLogger(output, "server"), Topics.AllTelemetry(Root));

        await server.WaitForAsync(Topics.Telemetry(Root, "st001"), null, Deadline);
        await server.WaitForAsync(Topics.Telemetry(Root, "st002"), null, Deadline);
        Assert.Contains(_gateway!.Lines, l => l.Contains($"mqtts://127.0.0.1:{_tlsPort}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TlsListener_NoCertificateOrOneFromAnotherCa_IsRefused()
    {
        var telemetry = Topics.Telemetry(Root, "st001");
        string[] ca = ["--cafile", Path.Combine(Certs, "ca.pem")];

        // The same common name, signed by a CA the broker does not trust.
        var otherCa = _directory.File("other-ca");
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(_tlsPort, null, telemetry, "{}", [.. ca, "--cert", Path.Combine(otherCa, "gw-01.pem"), "--key", Path.Combine(otherCa, "gw-01.key")]));
        // No certificate, even with the server's password.
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(_tlsPort, _server, telemetry, "{}", ca));
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(_tlsPort, null, telemetry, "{}", ca));
        Assert.Equal(0, await MosquittoPublisher.PublishAsync(_tlsPort, null, telemetry, "{}", [.. ca, "--cert", Path.Combine(Certs, "gw-01.pem"), "--key", Path.Combine(Certs, "gw-01.key")]));
    }

    [Fact]
    public async Task TlsListener_CertificateIdentity_IsBoundByTheAcl()
    {
        await using var server = await TopicSubscriber.StartAsync(_broker!.Port, _server, new TestLogger(output, "server"), Root + "/#");
        var marker = Guid.NewGuid().ToString("N")[..12];
        string[] gatewayCertificate = ["--cafile", Path.Combine(Certs, "ca.pem"), "--cert", Path.Combine(Certs, "gw-01.pem"), "--key", Path.Combine(Certs, "gw-01.key")];

        // The certificate is the account: the server's username and password sent with it change nothing.
        await MosquittoPublisher.PublishAcceptedAsync(_tlsPort, _server, Topics.Command(Root, "st001"), "forged-" + marker, gatewayCertificate);
        await MosquittoPublisher.PublishAcceptedAsync(_tlsPort, _server, Topics.Telemetry(Root, "st999"), "forged-" + marker, gatewayCertificate);
        await MosquittoPublisher.PublishAcceptedAsync(_tlsPort, _server, Topics.CommandResult(Root, "st001"), "control-" + marker, gatewayCertificate);

        await server.WaitForAsync(Topics.CommandResult(Root, "st001"), "control-" + marker, TimeSpan.FromSeconds(10));
        Assert.False(server.HasReceived("forged-" + marker), $"a forged message arrived: {server.Describe()}");
    }
}
