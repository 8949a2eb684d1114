using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Packets;
using Irrigation.Mqtt.Topics;

namespace Irrigation.Mqtt.Formatter;

/// <summary>Body parsers, one per packet type; each returns null with a reason for anything §3 forbids.</summary>
public static partial class MqttPacketFormatter
{
    private const string ProtocolName = "MQTT";
    private const byte ProtocolLevel = 4;

    private static MqttPacket? ReadBody(MqttPacketType type, byte flags, ReadOnlySpan<byte> body, out string? error)
    {
        var reader = new MqttBodyReader(body);
        var packet = type switch
        {
            MqttPacketType.Connect => ReadConnect(ref reader, out error),
            MqttPacketType.ConnAck => ReadConnAck(ref reader, out error),
            MqttPacketType.Publish => ReadPublish(ref reader, flags, out error),
            MqttPacketType.PubAck => ReadPacketId(ref reader, id => new MqttPubAckPacket(id), out error),
            MqttPacketType.PubRec => ReadPacketId(ref reader, id => new MqttPubRecPacket(id), out error),
            MqttPacketType.PubRel => ReadPacketId(ref reader, id => new MqttPubRelPacket(id), out error),
            MqttPacketType.PubComp => ReadPacketId(ref reader, id => new MqttPubCompPacket(id), out error),
            MqttPacketType.Subscribe => ReadSubscribe(ref reader, out error),
            MqttPacketType.SubAck => ReadSubAck(ref reader, out error),
            MqttPacketType.Unsubscribe => ReadUnsubscribe(ref reader, out error),
            MqttPacketType.UnsubAck => ReadPacketId(ref reader, id => new MqttUnsubAckPacket(id), out error),
            MqttPacketType.PingReq => ReadEmpty(reader, MqttPingReqPacket.Instance, out error),
            MqttPacketType.PingResp => ReadEmpty(reader, MqttPingRespPacket.Instance, out error),
            MqttPacketType.Disconnect => ReadEmpty(reader, MqttDisconnectPacket.Instance, out error),
            _ => Fail($"reserved packet type {(byte)type}", out error),
        };
        if (packet is not null && reader.Remaining != 0)
            return Fail($"{reader.Remaining} unexpected bytes after the packet's fields", out error);
        return packet;
    }

    /// <summary>§3.1.2: "MQTT", level 4, connect flags, keep alive; then client id, Will, user name, password.</summary>
    private static MqttPacket? ReadConnect(ref MqttBodyReader reader, out string? error)
    {
        if (!reader.TryReadString("protocol name", out var name, out error))
            return null;
        if (name != ProtocolName)
            return Fail($"protocol name \"{name}\", expected \"{ProtocolName}\" (§3.1.2.1)", out error);
        if (!reader.TryReadByte(out var level) || !reader.TryReadByte(out var connectFlags) || !reader.TryReadUInt16(out var keepAlive))
            return Fail("variable header shorter than 10 bytes", out error);
        if (level != ProtocolLevel)
            return Fail($"protocol level {level}, only 4 (MQTT 3.1.1) is supported (§3.1.2.2)", out error);

        // 7 user name   6 password   5 will retain   4-3 will QoS   2 will flag   1 clean session   0 reserved (§3.1.2.3)
        var hasUsername = (connectFlags & 0x80) != 0;
        var hasPassword = (connectFlags & 0x40) != 0;
        var willRetain = (connectFlags & 0x20) != 0;
        var willQos = (connectFlags >> 3) & 0x03;
        var hasWill = (connectFlags & 0x04) != 0;
        var cleanSession = (connectFlags & 0x02) != 0;
        if ((connectFlags & 0x01) != 0)
            return Fail("reserved connect flag set (§3.1.2.3)", out error);
        if (willQos == 3)
            return Fail("Will QoS 3 (§3.1.2.6)", out error);
        if (!hasWill && (willQos != 0 || willRetain))
            return Fail("Will QoS or Will Retain set without the Will flag (§3.1.2.6, §3.1.2.7)", out error);
        if (hasPassword && !hasUsername)
            return Fail("password flag without user name flag (§3.1.2.9)", out error);

        if (!reader.TryReadString("client identifier", out var clientId, out error))
            return null;
        MqttWill? will = null;
        if (hasWill)
        {
            if (!reader.TryReadString("Will topic", out var willTopic, out error) || !reader.TryReadBinary("Will message", out var willPayload, out error))
                return null;
            will = new MqttWill(willTopic, willPayload, (MqttQualityOfService)willQos, willRetain);
        }

        string? username = null;
        if (hasUsername && !reader.TryReadString("user name", out username, out error))
            return null;
        byte[]? password = null;
        if (hasPassword && !reader.TryReadBinary("password", out password, out error))
            return null;
        // Not "password is null ? null : password": null would convert to an empty ReadOnlyMemory, a present password.
        ReadOnlyMemory<byte>? passwordField = null;
        if (password is not null)
            passwordField = password;
        return new MqttConnectPacket(clientId, cleanSession, keepAlive, username, passwordField, will);
    }

    /// <summary>§3.2.2: acknowledge flags (only bit 0, session present), return code.</summary>
    private static MqttPacket? ReadConnAck(ref MqttBodyReader reader, out string? error)
    {
        if (reader.Remaining != 2 || !reader.TryReadByte(out var acknowledgeFlags) || !reader.TryReadByte(out var returnCode))
            return Fail($"remaining length {reader.Remaining}, must be 2 (§3.2.1)", out error);
        if ((acknowledgeFlags & 0xFE) != 0)
            return Fail($"reserved acknowledge flags set ({acknowledgeFlags:X2}, §3.2.2.1)", out error);
        error = null;
        return new MqttConnAckPacket((acknowledgeFlags & 0x01) != 0, returnCode);
    }

    /// <summary>§3.3.2: topic name (no wildcards), packet id for QoS 1 and 2, then the payload.</summary>
    private static MqttPacket? ReadPublish(ref MqttBodyReader reader, byte flags, out string? error)
    {
        var qos = (MqttQualityOfService)((flags >> 1) & 0x03);
        if (!reader.TryReadString("topic name", out var topic, out error))
            return null;
        if (!MqttTopicFilterMatcher.IsValidTopicName(topic))
            return Fail($"topic name \"{topic}\" is empty or contains a wildcard (§3.3.2.1)", out error);
        ushort packetId = 0;
        if (qos != MqttQualityOfService.AtMostOnce && !reader.TryReadPacketId(out packetId, out error))
            return null;
        return new MqttPublishPacket(topic, reader.ReadRest(), qos, Retain: (flags & 0x01) != 0, Duplicate: (flags & 0x08) != 0, packetId);
    }

    /// <summary>PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: exactly a non-zero packet id (§3.4–§3.7, §3.11).</summary>
    private static MqttPacket? ReadPacketId(ref MqttBodyReader reader, Func<ushort, MqttPacket> create, out string? error)
    {
        if (reader.Remaining != 2)
            return Fail($"remaining length {reader.Remaining}, must be 2", out error);
        return reader.TryReadPacketId(out var packetId, out error) ? create(packetId) : null;
    }

    /// <summary>§3.8.3: one or more (topic filter, requested QoS) pairs; the QoS byte's upper 6 bits are reserved.</summary>
    private static MqttPacket? ReadSubscribe(ref MqttBodyReader reader, out string? error)
    {
        if (!reader.TryReadPacketId(out var packetId, out error))
            return null;
        var filters = new List<MqttTopicFilter>();
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadString("topic filter", out var filter, out error))
                return null;
            if (!MqttTopicFilterMatcher.IsValidFilter(filter))
                return Fail($"invalid topic filter \"{filter}\" (§4.7.1)", out error);
            if (!reader.TryReadByte(out var requested))
                return Fail("requested QoS missing", out error);
            if (requested > 2)
                return Fail($"requested QoS byte {requested:X2} (§3.8.3.1)", out error);
            filters.Add(new MqttTopicFilter(filter, (MqttQualityOfService)requested));
        }

        return filters.Count == 0 ? Fail("no topic filter (§3.8.3)", out error) : new MqttSubscribePacket(packetId, filters);
    }

    /// <summary>§3.9.3: one return code per filter, each 0x00, 0x01, 0x02 or 0x80.</summary>
    private static MqttPacket? ReadSubAck(ref MqttBodyReader reader, out string? error)
    {
        if (!reader.TryReadPacketId(out var packetId, out error))
            return null;
        var codes = new List<byte>(reader.Remaining);
        while (reader.TryReadByte(out var code))
        {
            if (code is > 2 and not MqttSubAckPacket.Failure)
                return Fail($"reserved return code {code:X2} (§3.9.3)", out error);
            codes.Add(code);
        }

        return codes.Count == 0 ? Fail("no return code (§3.9.3)", out error) : new MqttSubAckPacket(packetId, codes);
    }

    /// <summary>§3.10.3: one or more topic filters.</summary>
    private static MqttPacket? ReadUnsubscribe(ref MqttBodyReader reader, out string? error)
    {
        if (!reader.TryReadPacketId(out var packetId, out error))
            return null;
        var filters = new List<string>();
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadString("topic filter", out var filter, out error))
                return null;
            if (!MqttTopicFilterMatcher.IsValidFilter(filter))
                return Fail($"invalid topic filter \"{filter}\" (§4.7.1)", out error);
            filters.Add(filter);
        }

        return filters.Count == 0 ? Fail("no topic filter (§3.10.3)", out error) : new MqttUnsubscribePacket(packetId, filters);
    }

    /// <summary>PINGREQ, PINGRESP, DISCONNECT: remaining length 0.</summary>
    private static MqttPacket? ReadEmpty(MqttBodyReader reader, MqttPacket packet, out string? error)
    {
        error = null;
        return reader.Remaining == 0 ? packet : Fail($"remaining length {reader.Remaining}, must be 0", out error);
    }

    private static MqttPacket? Fail(string reason, out string? error)
    {
        error = reason;
        return null;
    }
}
