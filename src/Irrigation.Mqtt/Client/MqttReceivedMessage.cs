namespace Irrigation.Mqtt.Client;

/// <summary>
/// A message delivered by the broker. With <see cref="MqttClientOptions.ManualAck"/> a QoS 1 message is
/// PUBACKed only when the application calls <see cref="AckAsync"/> — after it has made the message durable —
/// so a crash before that makes the broker deliver it again. Acks must be given in the order received.
/// </summary>
public sealed class MqttReceivedMessage
{
    private readonly Func<MqttReceivedMessage, CancellationToken, ValueTask>? _ack;

    public MqttReceivedMessage(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qualityOfService, bool retain, bool duplicate, ushort packetId, long connectionGeneration, object? delivery, Func<MqttReceivedMessage, CancellationToken, ValueTask>? ack)
    {
        Delivery = delivery;
        Topic = topic;
        Payload = payload;
        QualityOfService = qualityOfService;
        Retain = retain;
        Duplicate = duplicate;
        PacketId = packetId;
        ConnectionGeneration = connectionGeneration;
        _ack = ack;
    }

    public string Topic { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    public MqttQualityOfService QualityOfService { get; }

    public bool Retain { get; }

    /// <summary>DUP flag: the broker may have delivered this message before.</summary>
    public bool Duplicate { get; }

    public ushort PacketId { get; }

    /// <summary>Which connection delivered it; an ack for an older connection is dropped (the broker will redeliver).</summary>
    public long ConnectionGeneration { get; }

    /// <summary>What the client needs to acknowledge it (MQTTnet's event arguments); null when no ack is due.</summary>
    internal object? Delivery { get; }

    /// <summary>True when the application must acknowledge it (ManualAck, QoS 1 or 2).</summary>
    public bool NeedsAck => _ack is not null;

    /// <summary>Acknowledges the message (PUBACK for QoS 1); a no-op for QoS 0 or when auto-ack is on.</summary>
    public ValueTask AckAsync(CancellationToken cancellationToken = default) => _ack is null ? ValueTask.CompletedTask : _ack(this, cancellationToken);
}
