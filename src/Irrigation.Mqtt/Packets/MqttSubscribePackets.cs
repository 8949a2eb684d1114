using Irrigation.Mqtt.Client;

namespace Irrigation.Mqtt.Packets;

/// <summary>SUBSCRIBE (§3.8): fixed-header flags 0010, at least one filter.</summary>
public sealed record MqttSubscribePacket(ushort PacketId, IReadOnlyList<MqttTopicFilter> Filters) : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Subscribe;
}

/// <summary>SUBACK (§3.9): one return code per filter, 0x00–0x02 granted QoS or 0x80 failure.</summary>
public sealed record MqttSubAckPacket(ushort PacketId, IReadOnlyList<byte> ReturnCodes) : MqttPacket
{
    public const byte Failure = 0x80;

    public override MqttPacketType Type => MqttPacketType.SubAck;
}

/// <summary>UNSUBSCRIBE (§3.10): fixed-header flags 0010, at least one filter.</summary>
public sealed record MqttUnsubscribePacket(ushort PacketId, IReadOnlyList<string> Filters) : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;
}

/// <summary>UNSUBACK (§3.11).</summary>
public sealed record MqttUnsubAckPacket(ushort PacketId) : MqttPacketWithId(PacketId)
{
    public override MqttPacketType Type => MqttPacketType.UnsubAck;
}
