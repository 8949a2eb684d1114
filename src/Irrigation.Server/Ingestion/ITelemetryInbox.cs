using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// Where ingestion takes telemetry from and acknowledges it once durable: the server's own MQTT session (one instance),
/// or a durable JetStream consumer that several instances share (<see cref="SharedStreamOptions"/>).
/// </summary>
public interface ITelemetryInbox
{
    /// <summary>For logs: what is read, from where.</summary>
    string Description { get; }

    /// <summary>True while the inbox's connection is up.</summary>
    bool IsConnected { get; }

    /// <summary>True once subscribed, while the subscription holds on the current connection.</summary>
    bool Subscribed { get; }

    /// <summary>The node connected to, for the readiness check; null while disconnected.</summary>
    string? Broker { get; }

    /// <summary>
    /// True when this instance receives every telemetry message (so it may track sequence completeness from what it
    /// stores); false when it receives only its share.
    /// </summary>
    bool SeesWholeStream { get; }

    /// <summary>Messages in arrival order, bounded (a full channel stops reading: back-pressure to the broker).</summary>
    System.Threading.Channels.ChannelReader<MqttReceivedMessage> Messages { get; }

    /// <summary>Connects and subscribes, retrying until it works or <paramref name="stoppingToken"/> fires.</summary>
    Task ConnectAsync(CancellationToken stoppingToken);

    /// <summary>Acknowledges messages that are durable now, in order.</summary>
    Task AckAsync(IReadOnlyList<MqttReceivedMessage> messages, CancellationToken cancellationToken);
}

/// <summary>
/// One instance: the ingestion's persistent MQTT session (manual PUBACKs) with telemetry, station and gateway status —
/// or, with <see cref="ServerMqttOptions.SharedGroup"/>, mosquitto's <c>$share</c> group for the telemetry.
/// </summary>
internal sealed class MqttTelemetryInbox(MqttSession<IngestionService> session, IOptions<ServerMqttOptions> options, IOptions<SiteOptions> site, ILogger<MqttTelemetryInbox> logger)
    : ITelemetryInbox
{
    private readonly ServerMqttOptions _options = options.Value;
    private readonly string _topicRoot = site.Value.TopicRoot;

    public string TelemetryFilter => _options.SharedGroup.Length == 0
        ? Topics.AllTelemetry(_topicRoot)
        : Topics.SharedTelemetry(_topicRoot, _options.SharedGroup);

    public string Description => $"{TelemetryFilter} (MQTT {_options.Host}:{_options.Port})";

    private volatile bool _subscribed;

    public bool IsConnected => session.Client.IsConnected;

    public bool Subscribed => _subscribed && session.Client.SubscriptionsGranted;

    public string? Broker => session.Client.ConnectedBroker?.ToString();

    public bool SeesWholeStream => _options.SharedGroup.Length == 0;

    public System.Threading.Channels.ChannelReader<MqttReceivedMessage> Messages => session.Client.Messages;

    public async Task ConnectAsync(CancellationToken stoppingToken)
    {
        await BrokerConnection.ConnectAsync(session.Client,
        [
            new MqttTopicFilter(TelemetryFilter, MqttQualityOfService.AtLeastOnce),
            new MqttTopicFilter(Topics.AllStationStatus(_topicRoot), MqttQualityOfService.AtLeastOnce),
            new MqttTopicFilter(Topics.AllGatewayStatus(_topicRoot), MqttQualityOfService.AtLeastOnce),
        ], _options, logger, "Ingestion", stoppingToken);
        _subscribed = true;
    }

    public Task AckAsync(IReadOnlyList<MqttReceivedMessage> messages, CancellationToken cancellationToken) => session.Client.AckAsync(messages, cancellationToken);
}
