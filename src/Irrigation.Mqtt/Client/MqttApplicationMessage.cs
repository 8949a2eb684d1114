namespace Irrigation.Mqtt.Client;

/// <summary>MQTT quality of service levels (MQTT 3.1.1 §4.3).</summary>
public enum MqttQualityOfService : byte
{
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

/// <summary>An application message to publish.</summary>
public sealed record MqttApplicationMessage(string Topic, ReadOnlyMemory<byte> Payload, MqttQualityOfService QualityOfService = MqttQualityOfService.AtMostOnce, bool Retain = false);

/// <summary>A subscription request: a topic filter (with + and #, or $share/group/filter) and the maximum QoS.</summary>
public sealed record MqttTopicFilter(string Filter, MqttQualityOfService QualityOfService = MqttQualityOfService.AtLeastOnce);

/// <summary>The broker's answer for one filter; <see cref="Succeeded"/> is false for return code 0x80.</summary>
public sealed record MqttSubscribeResult(string Filter, byte ReturnCode)
{
    public bool Succeeded => ReturnCode != 0x80;
}
