using Irrigation.Testing;

namespace Irrigation.Deployment.Tests.Broker;

/// <summary>
/// The repository's deployment commands, run as a deployer runs them: <c>irrigation-probe mqtt-acl</c> and <c>nats-auth</c>,
/// <c>scripts/mqtt-passwd.sh</c> and <c>scripts/make-certs.sh</c>; each fails the test with its output when it fails.
/// </summary>
internal static class DeploymentCommands
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string Probe => RepoPaths.Program("src/Irrigation.Commissioning", "irrigation-probe.dll");

    /// <summary>A gateway configuration with just what the broker accounts are made from: id, account and stations.</summary>
    public static string WriteGatewayConfig(string directory, string id, MqttAccount account, params string[] stations) =>
        BrokerAccounts.WriteGatewayConfig(directory, id, account, stations);

    /// <summary>irrigation-probe mqtt-acl --output {acl} {configs}: returns the exit code and what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> MqttAclAsync(string acl, params string[] gatewayConfigs)
    {
        await using var probe = ManagedProcess.Start("irrigation-probe", Probe, ["mqtt-acl", "--output", acl, .. gatewayConfigs]);
        var exitCode = await probe.WaitForExitAsync(Timeout);
        return (exitCode, probe.Output);
    }

    public static async Task WriteAclAsync(string acl, params string[] gatewayConfigs)
    {
        var (exitCode, output) = await MqttAclAsync(acl, gatewayConfigs);
        Assert.True(exitCode == 0, $"irrigation-probe mqtt-acl exited {exitCode}:\n{output}");
    }

    /// <summary>irrigation-probe nats-auth, as <see cref="BrokerAccounts.NatsAuthAsync"/>.</summary>
    public static Task<(int ExitCode, string Output)> NatsAuthAsync(string file, string serverPassword, params string[] gatewayConfigs) =>
        BrokerAccounts.NatsAuthAsync(file, serverPassword, gatewayConfigs);

    /// <summary>scripts/mqtt-passwd.sh --output {file} {configs}, the server's password from MQTT_SERVER_PASSWORD.</summary>
    public static Task WritePasswordFileAsync(string file, string serverPassword, params string[] gatewayConfigs) =>
        RunScriptAsync("mqtt-passwd.sh", ["--output", file, .. gatewayConfigs], new Dictionary<string, string> { ["MQTT_SERVER_PASSWORD"] = serverPassword });

    /// <summary>scripts/make-certs.sh {directory} {usernames}: a CA, the broker's certificate and one per gateway.</summary>
    public static Task MakeCertificatesAsync(string directory, params string[] usernames) =>
        RunScriptAsync("make-certs.sh", [directory, .. usernames], null);

    private static async Task RunScriptAsync(string script, IEnumerable<string> arguments, IDictionary<string, string>? environment)
    {
        await using var process = ManagedProcess.Start(script, Path.Combine(RepoPaths.Root, "scripts", script), arguments, environment: environment);
        var exitCode = await process.WaitForExitAsync(Timeout);
        Assert.True(exitCode == 0, $"scripts/{script} exited {exitCode}:\n{process.Output}");
    }
}
