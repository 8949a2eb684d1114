using Irrigation.Contracts;

namespace Irrigation.Gateway.Configuration;

/// <summary>What an account may do with a topic filter: receive it (subscribe) or send to it (publish).</summary>
public enum TopicAccess
{
    Read,
    Write,
}

/// <summary>One right of a broker account: read or write a topic, or a filter for the server's wildcards.</summary>
public sealed record TopicGrant(TopicAccess Access, string Topic);

/// <summary>
/// A broker account and the topics it may use, derived from the gateway configurations (docs/security.md): a gateway
/// sends only its own stations' telemetry, status and command results and its own gateway status and repair results,
/// and receives only its own stations' commands, its own repair requests and plan set, and the server's time; the server
/// reads everything under the root and is the only account that sends commands, repair requests, plans and the time.
/// </summary>
public sealed record BrokerAccount(string Username, string Description, IReadOnlyList<TopicGrant> Grants)
{
    /// <summary>The server's account in every deployment (docker-compose.yml, run.sh).</summary>
    public const string DefaultServerUsername = "irrigation-server";

    /// <summary>
    /// The gateway's account is its <c>mqtt.username</c>: the name it logs in with, and the common name of its client
    /// certificate where the broker takes the certificate's identity as the username.
    /// </summary>
    public static BrokerAccount ForGateway(GatewayOptions gateway, string file)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var username = gateway.Mqtt.Username;
        Require(username is not null, file, "mqtt.username", "is required: it names the gateway's broker account");
        Require(IsAccountName(username!), file, "mqtt.username", $"'{username}' must be letters, digits, '.', '-' or '_' (it is also a certificate's common name)");
        Require(IsTopicLevel(gateway.Id), file, "id", $"'{gateway.Id}' must be letters, digits, '-' or '_'");
        Require(IsTopicLevel(gateway.TopicRoot), file, "topicRoot", $"'{gateway.TopicRoot}' must be letters, digits, '-' or '_'");
        Require(gateway.Stations.Count > 0, file, "stations", "at least one station is required");
        var root = gateway.TopicRoot;
        var grants = new List<TopicGrant>
        {
            new(TopicAccess.Write, Topics.GatewayStatus(root, gateway.Id)),
            new(TopicAccess.Write, Topics.RepairResult(root, gateway.Id)),
            new(TopicAccess.Read, Topics.RepairRequest(root, gateway.Id)),
            new(TopicAccess.Read, Topics.PlanSet(root, gateway.Id)),
            new(TopicAccess.Write, Topics.PlanApplied(root, gateway.Id)),
            new(TopicAccess.Read, Topics.ServerTime(root)),
        };
        for (var i = 0; i < gateway.Stations.Count; i++)
        {
            var station = gateway.Stations[i].Id;
            Require(IsTopicLevel(station) && station != "gateways", file, $"stations[{i}].id", $"'{station}' must be letters, digits, '-' or '_', and not 'gateways'");
            grants.Add(new TopicGrant(TopicAccess.Write, Topics.Telemetry(root, station)));
            grants.Add(new TopicGrant(TopicAccess.Write, Topics.StationStatus(root, station)));
            grants.Add(new TopicGrant(TopicAccess.Write, Topics.CommandResult(root, station)));
            grants.Add(new TopicGrant(TopicAccess.Read, Topics.Command(root, station)));
        }

        return new BrokerAccount(username!, $"gateway {gateway.Id} ({file}): its own stations and its own gateway topics", grants);
    }

    /// <summary>The server: reads every topic under each root, and alone sends commands and repair requests.</summary>
    public static BrokerAccount ForServer(string username, IEnumerable<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (!IsAccountName(username))
            throw new GatewayConfigurationException($"server username '{username}' must be letters, digits, '.', '-' or '_'.");
        // $SYS: the broker's own statistics, for the compose health check and monitoring.
        var grants = new List<TopicGrant> { new(TopicAccess.Read, "$SYS/#") };
        foreach (var root in roots.Distinct(StringComparer.Ordinal))
        {
            grants.Add(new TopicGrant(TopicAccess.Read, Topics.Everything(root)));
            grants.Add(new TopicGrant(TopicAccess.Write, Topics.AllCommands(root)));
            grants.Add(new TopicGrant(TopicAccess.Write, Topics.RepairRequest(root, "+")));
            grants.Add(new TopicGrant(TopicAccess.Write, Topics.PlanSet(root, "+")));
            grants.Add(new TopicGrant(TopicAccess.Write, Topics.ServerTime(root)));
        }

        return new BrokerAccount(username, "the server: reads everything, the only account that sends commands, repair requests, plans and the time", grants);
    }

    /// <summary>
    /// The accounts of a deployment: the server and one per gateway. Throws <see cref="GatewayConfigurationException"/>
    /// when two gateways share an account, an id or a station (each could then send the other's telemetry).
    /// </summary>
    public static IReadOnlyList<BrokerAccount> ForDeployment(IReadOnlyList<(string File, GatewayOptions Options)> gateways, string serverUsername = DefaultServerUsername)
    {
        ArgumentNullException.ThrowIfNull(gateways);
        if (gateways.Count == 0)
            throw new GatewayConfigurationException("at least one gateway configuration is required.");
        var accounts = new List<BrokerAccount> { ForServer(serverUsername, gateways.Select(g => g.Options.TopicRoot)) };
        var usernames = new Dictionary<string, string>(StringComparer.Ordinal) { [serverUsername] = "the server" };
        var gatewayIds = new Dictionary<(string Root, string Id), string>();
        var stations = new Dictionary<(string Root, string Station), string>();
        foreach (var (file, options) in gateways)
        {
            var account = ForGateway(options, file);
            if (!usernames.TryAdd(account.Username, file))
                throw new GatewayConfigurationException($"{file}: mqtt.username: '{account.Username}' is already the account of {usernames[account.Username]}; every gateway needs its own.");
            if (!gatewayIds.TryAdd((options.TopicRoot, options.Id), file))
                throw new GatewayConfigurationException($"{file}: id: '{options.Id}' is already the id of the gateway in {gatewayIds[(options.TopicRoot, options.Id)]}.");
            foreach (var station in options.Stations)
            {
                if (!stations.TryAdd((options.TopicRoot, station.Id), file))
                    throw new GatewayConfigurationException($"{file}: stations: '{station.Id}' is already a station of the gateway in {stations[(options.TopicRoot, station.Id)]}.");
            }

            accounts.Add(account);
        }

        return accounts;
    }

    private static void Require(bool condition, string file, string field, string reason)
    {
        if (!condition)
            throw new GatewayConfigurationException($"{file}: {field}: {reason}");
    }

    private static bool IsTopicLevel(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Safe in an ACL line, a password file and a certificate subject: no spaces, ':', '/', '=' or wildcards.</summary>
    public static bool IsAccountName(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
