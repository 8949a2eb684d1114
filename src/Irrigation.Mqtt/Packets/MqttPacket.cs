namespace Irrigation.Mqtt.Packets;

/// <summary>MQTT control packet types, the high nibble of the fixed header's first byte (MQTT 3.1.1 §2.2.1).</summary>
public enum MqttPacketType : byte
{
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
}

/// <summary>Names as the specification writes them (PUBACK, not PubAck), for messages and logs.</summary>
public static class MqttPacketTypeExtensions
{
    public static string SpecName(this MqttPacketType type) =>
        Enum.IsDefined(type) ? type.ToString().ToUpperInvariant() : $"reserved type {(byte)type}";
}

/// <summary>
/// One MQTT 3.1.1 control packet as plain data. Bytes are produced and parsed by
/// <see cref="Formatter.MqttPacketFormatter"/>; packets own their memory (nothing points into a receive buffer).
/// </summary>
public abstract record MqttPacket
{
    public abstract MqttPacketType Type { get; }
}

/// <summary>A packet whose whole variable header is a packet identifier (§2.3.1): PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK.</summary>
public abstract record MqttPacketWithId(ushort PacketId) : MqttPacket;
