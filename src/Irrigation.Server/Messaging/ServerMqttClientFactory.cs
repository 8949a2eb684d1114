using Irrigation.Mqtt.Client;

namespace Irrigation.Server.Messaging;

/// <summary>Creates the server's MQTT clients from <see cref="ServerMqttOptions"/>: one per purpose, each with its own persistent session.</summary>
public static class ServerMqttClientFactory
{
    /// <summary>The session of ingestion (telemetry with one instance; station and gateway status).</summary>
    public const string IngestionSession = "";

    /// <summary>The session that delivers plan sets and time to gateways and takes their acknowledgements.</summary>
    public const string PlansSession = "-plans";

    /// <summary>The session that asks gateways for gap repair and takes their answers.</summary>
    public const string RepairSession = "-repair";

    /// <summary>The session that sends commands and takes their results.</summary>
    public const string CommandsSession = "-commands";

    /// <summary>Every session an instance keeps at the broker (<c>{ClientId}{suffix}</c>).</summary>
    public static IReadOnlyList<string> Sessions { get; } = [IngestionSession, PlansSession, RepairSession, CommandsSession];

    /// <summary>
    /// A client with id <c>{ClientId}{suffix}</c> (default id irrigation-server-{machine}) and a persistent session;
    /// <paramref name="configure"/> sets what the purpose needs (manual acknowledgement, inbound capacity …).
    /// </summary>
    public static ReconnectingMqttClient Create(ServerMqttOptions options, string suffix, ILogger logger, Action<MqttClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new MqttClientOptions
        {
            Protocol = options.Protocol == "3.1.1" ? MqttProtocol.V311 : MqttProtocol.V500,
            Host = options.Host,
            Port = options.Port,
            Brokers = options.Brokers,
            ClientId = ClientId(options) + suffix,
            Username = options.Username,
            Password = options.Password,
            Tls = options.Tls(),
            CleanSession = false, // the broker keeps what arrives while the server restarts
        };
        configure?.Invoke(client);
        return new ReconnectingMqttClient(client, logger);
    }

    /// <summary>This instance's id (its MQTT sessions add a suffix per purpose).</summary>
    public static string ClientId(ServerMqttOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ClientId ?? $"irrigation-server-{Environment.MachineName}";
    }
}
