using System.Globalization;
using Irrigation.Contracts;
using Irrigation.Deployment.Tests.Broker;
using Irrigation.Gateway.Configuration;
using Irrigation.Testing;

namespace Irrigation.Deployment.Tests.Compose;

/// <summary>The compose broker: its configuration files, accounts, generated ACL and TLS listener, and a real mosquitto started with them.</summary>
public sealed partial class DockerComposeTests
{
    private const int MosquittoTlsPort = 8883;
    private const string ComposeGatewayConfig = "config/gateway.compose.json";

    [Fact]
    public void Mosquitto_UsesTheConfigRunShUses_ThePasswordFileAndTheAcl()
    {
        var mounts = _compose.Mounts("mosquitto");
        var run = File.ReadAllText(Path.Combine(RepoPaths.Root, "run.sh"));
        Assert.Contains("cp config/mosquitto.conf ", run, StringComparison.Ordinal);
        var conf = BrokerConfig();

        var shared = Assert.Single(mounts, m => m.Source == "./config/mosquitto.conf");
        Assert.Equal(conf.Setting("include_dir"), Path.GetDirectoryName(shared.Target));
        Assert.EndsWith(".conf", shared.Target, StringComparison.Ordinal);
        Assert.Equal("./config/mosquitto.passwd", Assert.Single(mounts, m => m.Target == conf.Setting("password_file")).Source);
        Assert.Equal("./config/mosquitto.acl", Assert.Single(mounts, m => m.Target == conf.Setting("acl_file")).Source);
        Assert.Equal("false", conf.Setting("allow_anonymous"));
        Assert.Equal([$"{MosquittoContainerPort()}", $"{MosquittoTlsPort}"], conf.Listeners);
        Assert.Contains(mounts, m => !m.IsBind && conf.Setting("persistence_location").TrimEnd('/') == m.Target);
        Assert.Contains("mosquitto_sub", _compose.HealthCheck("mosquitto"));
    }

    [Fact]
    public void RunSh_Broker_RequiresTheSameAccountsAndAGeneratedAcl()
    {
        var run = File.ReadAllText(Path.Combine(RepoPaths.Root, "run.sh"));

        Assert.Contains("allow_anonymous false\n", run, StringComparison.Ordinal);
        Assert.Contains("password_file $PWD/$RUN/mosquitto/mosquitto.passwd\n", run, StringComparison.Ordinal);
        Assert.Contains("acl_file $PWD/$RUN/mosquitto/mosquitto.acl\n", run, StringComparison.Ordinal);
        Assert.Contains("scripts/mqtt-passwd.sh --output \"$RUN/mosquitto/mosquitto.passwd\" \"$RUN/gateway.json\"", run, StringComparison.Ordinal);
        Assert.Contains("irrigation-probe mqtt-acl --output \"$RUN/mosquitto/mosquitto.acl\" \"$RUN/gateway.json\"", run, StringComparison.Ordinal);
        Assert.DoesNotContain("allow_anonymous true", run, StringComparison.Ordinal);
        // The server logs in as in compose.
        Assert.Contains($"Irrigation__Mqtt__Username={_compose.Environment("server")["Irrigation__Mqtt__Username"]} ", run, StringComparison.Ordinal);
        Assert.Contains("Irrigation__Mqtt__Password=", run, StringComparison.Ordinal);
    }

    [Fact]
    public void Mosquitto_TlsListener_RequiresACertificateFromTheMountedDirectoryAndTakesItsIdentity()
    {
        var conf = BrokerConfig();
        var certs = Assert.Single(_compose.Mounts("mosquitto"), m => m.Source == "./config/certs");

        Assert.Equal("true", conf.Setting("require_certificate"));
        Assert.Equal("true", conf.Setting("use_identity_as_username")); // the ACL's user is the certificate's common name
        foreach (var file in new[] { "cafile", "certfile", "keyfile" })
            Assert.Equal(certs.Target, Path.GetDirectoryName(conf.Setting(file)));
        Assert.Equal(["ca.pem", "server.pem", "server.key"], new[] { "cafile", "certfile", "keyfile" }.Select(f => Path.GetFileName(conf.Setting(f))));
        // Only the TLS listener takes certificates: the plain one is the compose network's.
        Assert.True(conf.Lines.IndexOf($"listener {MosquittoTlsPort}") < conf.Lines.FindIndex(l => l.StartsWith("cafile ", StringComparison.Ordinal)));
        // What make-certs.sh writes stays out of the repository.
        var ignored = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".gitignore"));
        Assert.Contains("config/certs/*", ignored);
        Assert.Contains("*.key", ignored);
    }

    [Fact]
    public void Acl_IsWhatMqttAclMakesOfTheComposeGatewayConfig_AndEveryAccountHasAPassword()
    {
        var options = GatewayConfigurationFile.Bind(Path.Combine(RepoPaths.Root, ComposeGatewayConfig));
        var accounts = BrokerAccount.ForDeployment([(ComposeGatewayConfig, options)]);

        Assert.Equal(MosquittoAcl.Write(accounts, [ComposeGatewayConfig]), File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "mosquitto.acl")));
        var passwords = File.ReadAllLines(Path.Combine(RepoPaths.Root, "config", "mosquitto.passwd")).Select(l => l.Split(':')[0]);
        Assert.Equal(accounts.Select(a => a.Username).Order(StringComparer.Ordinal), passwords.Order(StringComparer.Ordinal));
        Assert.Equal(_compose.Environment("server")["Irrigation__Mqtt__Username"], accounts[0].Username);
    }

    [Fact]
    public async Task MosquittoComposeConfig_RealBroker_AppliesTheComposeAccountsAclAndTls()
    {
        // The compose broker configuration with its container paths mapped onto the repository and a temp directory;
        // certificates made by scripts/make-certs.sh, as before a first 'docker compose up'.
        using var directory = new ScratchDirectory("compose-broker");
        Directory.CreateDirectory(Path.Combine(directory.Path, "shared"));
        File.Copy(Path.Combine(RepoPaths.Root, "config", "mosquitto.conf"), Path.Combine(directory.Path, "shared", "mosquitto.conf"));
        var gateway = GatewayConfiguration.Load(Path.Combine(RepoPaths.Root, ComposeGatewayConfig)).Options;
        var certs = directory.File("certs");
        await DeploymentCommands.MakeCertificatesAsync(certs, gateway.Mqtt.Username!);
        var port = FreePort.Next();
        var tlsPort = FreePort.Next();
        var config = File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "mosquitto.compose.conf"))
            .Replace("listener 1883", $"listener {port} 127.0.0.1", StringComparison.Ordinal)
            .Replace($"listener {MosquittoTlsPort}", $"listener {tlsPort} 127.0.0.1", StringComparison.Ordinal)
            .Replace("/mosquitto/data/", directory.Path + "/", StringComparison.Ordinal)
            .Replace("/mosquitto/config/mosquitto.passwd", Path.Combine(RepoPaths.Root, "config", "mosquitto.passwd"), StringComparison.Ordinal)
            .Replace("/mosquitto/config/mosquitto.acl", Path.Combine(RepoPaths.Root, "config", "mosquitto.acl"), StringComparison.Ordinal)
            .Replace("/mosquitto/config/certs", certs, StringComparison.Ordinal)
            .Replace("/mosquitto/config/shared", Path.Combine(directory.Path, "shared"), StringComparison.Ordinal) + $"\nuser {Environment.UserName}\n";
        File.WriteAllText(directory.File("mosquitto.conf"), config);

        await using var broker = ManagedProcess.Start("mosquitto", RequiredTool.Find("mosquitto", "mosquitto"), ["-c", directory.File("mosquitto.conf")], directory.File("mosquitto.log"));
        await FreePort.WaitUntilOpenAsync(port, TimeSpan.FromSeconds(20), "mosquitto");
        await FreePort.WaitUntilOpenAsync(tlsPort, TimeSpan.FromSeconds(20), "mosquitto TLS listener");
        var gatewayAccount = new MqttAccount(gateway.Mqtt.Username!, gateway.Mqtt.Password);
        var telemetry = Topics.Telemetry(gateway.TopicRoot, gateway.Stations[0].Id);

        // The compose health check, as the container runs it, with the server's account ($SYS is in its ACL).
        var health = _compose.HealthCheck("mosquitto").Skip(1).ToList();
        health[health.IndexOf("-p") + 1] = port.ToString(CultureInfo.InvariantCulture);
        await using (var check = ManagedProcess.Start("mosquitto_sub", RequiredTool.Find("mosquitto_sub", "mosquitto-clients"), health.Skip(1)))
            Assert.Equal(0, await check.WaitForExitAsync(TimeSpan.FromSeconds(15)));

        Assert.Equal(0, await MosquittoPublisher.PublishAsync(port, gatewayAccount, telemetry, "{}"));
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(port, null, telemetry, "{}"));
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(port, gatewayAccount with { Password = "wrong" }, telemetry, "{}"));
        string[] caOnly = ["--cafile", Path.Combine(certs, "ca.pem")];
        Assert.Equal(0, await MosquittoPublisher.PublishAsync(tlsPort, null, telemetry, "{}", [.. caOnly, "--cert", Path.Combine(certs, $"{gatewayAccount.Username}.pem"), "--key", Path.Combine(certs, $"{gatewayAccount.Username}.key")]));
        Assert.NotEqual(0, await MosquittoPublisher.PublishAsync(tlsPort, gatewayAccount, telemetry, "{}", caOnly)); // a password is not enough there
        await broker.StopAsync(TimeSpan.FromSeconds(10));
    }

    private static ComposeBrokerConfig BrokerConfig() => new(File.ReadAllLines(Path.Combine(RepoPaths.Root, "config", "mosquitto.compose.conf")).ToList());

    /// <summary>config/mosquitto.compose.conf as lines; every key the tests read occurs once.</summary>
    private sealed record ComposeBrokerConfig(List<string> Lines)
    {
        public IReadOnlyList<string> Listeners => Lines.Where(l => l.StartsWith("listener ", StringComparison.Ordinal)).Select(l => l["listener ".Length..]).ToArray();

        public string Setting(string key) => Lines.Single(l => l.StartsWith(key + " ", StringComparison.Ordinal))[(key.Length + 1)..];
    }
}
