using System.Threading.Channels;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// What the gateway and the server need of MQTT (5.0, or 3.1.1), implemented on MQTTnet by
/// <see cref="ReconnectingMqttClient"/>. After the first successful <see cref="ConnectAsync"/> the client keeps the
/// session alive by itself: keep-alive pings, reconnect with jittered back-off, resubscribe, and publishes that wait
/// out an outage and are sent again when a connection was lost before their PUBACK.
/// </summary>
public interface IMqttClient : IAsyncDisposable
{
    /// <summary>True while a CONNACK-accepted connection is open.</summary>
    bool IsConnected { get; }

    /// <summary>The broker this client is connected to now (one of several in a cluster); null while disconnected.</summary>
    MqttBrokerEndpoint? ConnectedBroker { get; }

    /// <summary>
    /// True while connected and every remembered subscription has been granted on this connection. False from a
    /// (re)connect until the resubscription is granted, and while a refused one is being retried: until then messages
    /// for that filter may not arrive, so a service that depends on them is not ready.
    /// </summary>
    bool SubscriptionsGranted { get; }

    /// <summary>Counters for metrics and tests.</summary>
    MqttClientCounters Counters { get; }

    /// <summary>Raised (on a background thread) whenever the connection is established or lost.</summary>
    event Action<MqttConnectionEvent>? ConnectionStateChanged;

    /// <summary>
    /// Connects once. Throws <see cref="MqttConnectException"/> with the broker's CONNACK return code (bad
    /// credentials, not authorised, …) or the transport error; on success starts the background session loop.
    /// </summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>
    /// QoS 0 completes when written to the socket; QoS 1 completes when the broker's PUBACK arrives (across
    /// reconnects — the message is sent again). Waits while the in-flight window is full or the broker is away.
    /// Throws <see cref="MqttClientException"/> when the client is disposed or stopped before completion.
    /// </summary>
    Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Subscribes and remembers the filters for resubscribe after reconnect. Returns the broker's answer per filter
    /// (0x80 and above = refused): a refused filter stays remembered and is asked for again with back-off until granted
    /// (see <see cref="SubscriptionsGranted"/>), unless MQTT 5 says it can never be granted. Throws
    /// <see cref="MqttClientException"/> when no SUBACK came; the filters are then retried the same way.
    /// </summary>
    Task<IReadOnlyList<MqttSubscribeResult>> SubscribeAsync(IReadOnlyList<MqttTopicFilter> filters, CancellationToken cancellationToken);

    Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken);

    /// <summary>
    /// Received messages, through a bounded channel: when the application falls behind, no more messages are
    /// acknowledged, so back-pressure reaches the broker (MQTT 5 Receive Maximum) instead of memory growing.
    /// </summary>
    ChannelReader<MqttReceivedMessage> Messages { get; }

    /// <summary>
    /// Acknowledges several received messages, in order — what <see cref="MqttReceivedMessage.AckAsync"/> does for
    /// each, in one pass that holds off a reconnect until it is done. Messages that need no ack are skipped; acks for a
    /// connection that has since been lost are dropped (the broker redelivers those messages).
    /// </summary>
    Task AckAsync(IReadOnlyList<MqttReceivedMessage> messages, CancellationToken cancellationToken);

    /// <summary>Sends DISCONNECT (so the Last Will is not published) and stops reconnecting.</summary>
    Task DisconnectAsync(CancellationToken cancellationToken);
}

public enum MqttConnectionState
{
    Connected,
    Disconnected,
}

/// <summary>A connection change; <see cref="Reason"/> says why a connection was lost, <see cref="Broker"/> which broker it was with.</summary>
public sealed record MqttConnectionEvent(MqttConnectionState State, bool SessionPresent, string? Reason, MqttBrokerEndpoint? Broker = null);
