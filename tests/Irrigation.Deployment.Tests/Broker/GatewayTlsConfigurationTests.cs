using System.Text.Json.Nodes;
using Irrigation.Gateway.Configuration;
using Irrigation.Testing;

namespace Irrigation.Deployment.Tests.Broker;

/// <summary>
/// The gateway's TLS settings (mqtt.tlsCaFile, tlsCertFile, tlsKeyFile) are read at start-up, as the client will read
/// them, with certificates from scripts/make-certs.sh: a missing, non-PEM or mismatched file is an error naming the key.
/// </summary>
public sealed class GatewayTlsConfigurationTests : IAsyncLifetime, IDisposable
{
    private readonly ScratchDirectory _directory = new("gateway-tls-config");

    private string Certs => _directory.File("certs");

    public Task InitializeAsync() => DeploymentCommands.MakeCertificatesAsync(Certs, "gw-01", "gw-02");

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _directory.Dispose();

    /// <summary>One tcp station with a meter, and the TLS settings given (relative to the file, as deployers write them).</summary>
    private string Write(string? ca, string? cert, string? key)
    {
        var mqtt = new JsonObject { ["host"] = "127.0.0.1", ["port"] = 8883, ["username"] = "gw-01" };
        if (ca is not null)
            mqtt["tlsCaFile"] = ca;
        if (cert is not null)
            mqtt["tlsCertFile"] = cert;
        if (key is not null)
            mqtt["tlsKeyFile"] = key;
        var config = new JsonObject
        {
            ["id"] = "gw-01",
            ["profilesDirectory"] = RepoPaths.Profiles,
            ["mqtt"] = mqtt,
            ["stations"] = new JsonArray(new JsonObject
            {
                ["id"] = "st001",
                ["endpoint"] = new JsonObject { ["type"] = "tcp", ["host"] = "127.0.0.1", ["port"] = 502 },
                ["meter"] = new JsonObject { ["profile"] = "chint-dtsu666" },
            }),
        };
        var path = _directory.File("gateway.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    private void AssertRejected(string? ca, string? cert, string? key, string field, string reason)
    {
        var path = Write(ca, cert, key);

        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path));

        Assert.StartsWith($"{path}: {field}: {reason}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CaCertificateAndItsKey_Loads()
    {
        var (options, _) = GatewayConfiguration.Load(Write("certs/ca.pem", "certs/gw-01.pem", "certs/gw-01.key"));

        Assert.Equal("certs/gw-01.pem", options.Mqtt.TlsCertFile);
    }

    [Fact]
    public void Load_CaOnly_Loads() => GatewayConfiguration.Load(Write("certs/ca.pem", null, null));

    [Fact]
    public void Load_MissingCaFile_NamesIt() =>
        AssertRejected("certs/nothing.pem", null, null, "mqtt.tlsCaFile", "'certs/nothing.pem' does not exist");

    [Fact]
    public void Load_CaFileWithoutCertificate_NamesIt()
    {
        File.WriteAllText(_directory.File("empty.pem"), "not a certificate\n");

        AssertRejected("empty.pem", null, null, "mqtt.tlsCaFile", "'empty.pem' holds no PEM certificate");
    }

    [Fact]
    public void Load_ClientCertificateWithoutCa_NeedsTheCa() =>
        AssertRejected(null, "certs/gw-01.pem", "certs/gw-01.key", "mqtt.tlsCertFile", "needs mqtt.tlsCaFile");

    [Fact]
    public void Load_CertificateWithoutKey_NeedsBoth() =>
        AssertRejected("certs/ca.pem", "certs/gw-01.pem", null, "mqtt.tlsCertFile", "needs mqtt.tlsCertFile and mqtt.tlsKeyFile together");

    [Fact]
    public void Load_MissingKeyFile_NamesIt() =>
        AssertRejected("certs/ca.pem", "certs/gw-01.pem", "certs/gw-03.key", "mqtt.tlsKeyFile", "'certs/gw-03.key' does not exist");

    [Fact]
    public void Load_AnotherGatewaysKey_IsNotThePair() =>
        AssertRejected("certs/ca.pem", "certs/gw-01.pem", "certs/gw-02.key", "mqtt.tlsKeyFile", "'certs/gw-01.pem' and 'certs/gw-02.key' are not a PEM certificate and its private key");
}
