using Irrigation.Mqtt.Client;

namespace Irrigation.Mqtt.Packets;

/// <summary>PUBLISH (§3.3). <see cref="PacketId"/> is present on the wire only for QoS 1 and 2 and must then be non-zero.</summary>
public sealed record MqttPublishPacket(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    MqttQualityOfService QualityOfService = MqttQualityOfService.AtMostOnce,
    bool Retain = false,
    bool Duplicate = false,
    ushort PacketId = 0) : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Publish;
}

/// <summary>PUBACK (§3.4): QoS 1 acknowledgement.</summary>
public sealed record MqttPubAckPacket(ushort PacketId) : MqttPacketWithId(PacketId)
{
    public override MqttPacketType Type => MqttPacketType.PubAck;
}

/// <summary>PUBREC (§3.5): QoS 2, part 1.</summary>
public sealed record MqttPubRecPacket(ushort PacketId) : MqttPacketWithId(PacketId)
{
    public override MqttPacketType Type => MqttPacketType.PubRec;
}

/// <summary>PUBREL (§3.6): QoS 2, part 2; fixed-header flags 0010.</summary>
public sealed record MqttPubRelPacket(ushort PacketId) : MqttPacketWithId(PacketId)
{
    public override MqttPacketType Type => MqttPacketType.PubRel;
}

/// <summary>PUBCOMP (§3.7): QoS 2, part 3.</summary>
public sealed record MqttPubCompPacket(ushort PacketId) : MqttPacketWithId(PacketId)
{
    public override MqttPacketType Type => MqttPacketType.PubComp;
}
