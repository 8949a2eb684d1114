using Irrigation.Mqtt.Client;

namespace Irrigation.Mqtt.Packets;

/// <summary>The Will carried by CONNECT (§3.1.2.5–§3.1.2.7, §3.1.3.2–§3.1.3.3).</summary>
public sealed record MqttWill(string Topic, ReadOnlyMemory<byte> Payload, MqttQualityOfService QualityOfService, bool Retain);

/// <summary>CONNECT (§3.1): protocol name "MQTT", level 4. <see cref="Password"/> is binary data in 3.1.1.</summary>
public sealed record MqttConnectPacket(
    string ClientId,
    bool CleanSession,
    ushort KeepAliveSeconds,
    string? Username = null,
    ReadOnlyMemory<byte>? Password = null,
    MqttWill? Will = null) : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Connect;
}

/// <summary>CONNACK (§3.2): session present flag and return code (0 accepted, 1–5 refused).</summary>
public sealed record MqttConnAckPacket(bool SessionPresent, byte ReturnCode) : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.ConnAck;
}

/// <summary>PINGREQ (§3.12): C0 00.</summary>
public sealed record MqttPingReqPacket : MqttPacket
{
    public static readonly MqttPingReqPacket Instance = new();

    public override MqttPacketType Type => MqttPacketType.PingReq;
}

/// <summary>PINGRESP (§3.13): D0 00.</summary>
public sealed record MqttPingRespPacket : MqttPacket
{
    public static readonly MqttPingRespPacket Instance = new();

    public override MqttPacketType Type => MqttPacketType.PingResp;
}

/// <summary>DISCONNECT (§3.14): E0 00. The broker discards the Will.</summary>
public sealed record MqttDisconnectPacket : MqttPacket
{
    public static readonly MqttDisconnectPacket Instance = new();

    public override MqttPacketType Type => MqttPacketType.Disconnect;
}
