namespace Irrigation.Mqtt.Client;

/// <summary>MQTT quality of service levels (MQTT 5.0 §4.3, the same in 3.1.1).</summary>
public enum MqttQualityOfService : byte
{
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

/// <summary>
/// An application message to publish. <see cref="Expiry"/> is MQTT 5's Message Expiry Interval (§3.3.2.3.3): the broker
/// discards the message once it has waited that long for a subscriber, so a pump command held while a gateway was away is
/// never delivered late. Whole seconds, rounded up; ignored on an MQTT 3.1.1 connection, which has no such property.
/// </summary>
public sealed record MqttApplicationMessage(string Topic, ReadOnlyMemory<byte> Payload, MqttQualityOfService QualityOfService = MqttQualityOfService.AtMostOnce, bool Retain = false)
{
    public TimeSpan? Expiry { get; init; }
}

/// <summary>A subscription request: a topic filter (with + and #, or $share/group/filter) and the maximum QoS.</summary>
public sealed record MqttTopicFilter(string Filter, MqttQualityOfService QualityOfService = MqttQualityOfService.AtLeastOnce);

/// <summary>The broker's answer for one filter: the granted QoS (0–2) or a failure reason code (0x80 and above, §3.9.3).</summary>
public sealed record MqttSubscribeResult(string Filter, byte ReturnCode)
{
    public bool Succeeded => ReturnCode < 0x80;
}
