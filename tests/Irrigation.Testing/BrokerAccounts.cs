using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Irrigation.Testing;

/// <summary>A broker account as a client logs in with it.</summary>
public sealed record MqttAccount(string Username, string? Password);

/// <summary>
/// Broker accounts made as a deployer makes them: gateway configurations holding just what accounts are made from,
/// and the NATS cluster's authorization block from the real <c>irrigation-probe nats-auth</c>.
/// </summary>
public static partial class BrokerAccounts
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string Probe => RepoPaths.Program("src/Irrigation.Commissioning", "irrigation-probe.dll");

    /// <summary>A gateway configuration with just what the broker accounts are made from: id, account and stations.</summary>
    public static string WriteGatewayConfig(string directory, string id, MqttAccount account, params string[] stations)
    {
        ArgumentNullException.ThrowIfNull(account);
        var mqtt = new JsonObject { ["host"] = "127.0.0.1", ["port"] = 1883, ["username"] = account.Username };
        if (account.Password is not null)
            mqtt["password"] = account.Password;
        var config = new JsonObject
        {
            ["id"] = id,
            ["topicRoot"] = "irrigation",
            ["mqtt"] = mqtt,
            ["stations"] = new JsonArray(stations.Select(s => (JsonNode)new JsonObject { ["id"] = s }).ToArray()),
        };
        var path = Path.Combine(directory, $"{id}.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    /// <summary>
    /// MQTT_SERVER_PASSWORD={serverPassword} irrigation-probe nats-auth --cost 4 --output {file} {configs}: the exit code
    /// and what it printed. Cost 4 keeps hashing and every connect's comparison quick; the format is the same at any cost.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> NatsAuthAsync(string file, string serverPassword, params string[] gatewayConfigs)
    {
        await using var probe = ManagedProcess.Start("irrigation-probe", Probe, ["nats-auth", "--cost", "4", "--output", file, .. gatewayConfigs],
            environment: new Dictionary<string, string> { ["MQTT_SERVER_PASSWORD"] = serverPassword });
        var exitCode = await probe.WaitForExitAsync(Timeout);
        return (exitCode, probe.Output);
    }

    /// <summary>The authorization block for <paramref name="gatewayConfigs"/> and the server, as text; throws when the command fails.</summary>
    public static async Task<string> NatsAuthorizationAsync(string directory, string serverPassword, params string[] gatewayConfigs)
    {
        var file = Path.Combine(directory, "nats-auth.conf");
        var (exitCode, output) = await NatsAuthAsync(file, serverPassword, gatewayConfigs);
        if (exitCode != 0)
            throw new InvalidOperationException($"irrigation-probe nats-auth exited {exitCode}:\n{output}");
        return await File.ReadAllTextAsync(file);
    }

    /// <summary>Each user's password hash in an authorization block, in file order.</summary>
    public static IReadOnlyDictionary<string, string> PasswordHashes(string block)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in UserAndPassword().Matches(block))
            hashes[match.Groups["user"].Value] = match.Groups["hash"].Value;
        return hashes;
    }

    [GeneratedRegex("user: \"(?<user>[^\"]+)\"\\n\\s*password: \"(?<hash>[^\"]+)\"")]
    private static partial Regex UserAndPassword();
}
