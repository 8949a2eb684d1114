using FsCheck;
using FsCheck.Fluent;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Packets;

namespace Irrigation.Mqtt.Tests.TestSupport;

/// <summary>FsCheck generators for every packet type, inside MQTT 3.1.1's limits.</summary>
internal static class MqttGen
{
    // Multi-byte UTF-8 (é, €) and a surrogate pair (😀) on purpose; no wildcards, no U+0000.
    private static readonly string[] TopicPieces = ["a", "b", "Z", "0", "/", "é", "€", "😀", " ", "$", "-"];

    public static Gen<ushort> PacketId => Gen.Choose(1, ushort.MaxValue).Select(i => (ushort)i);

    public static Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));

    public static Gen<string> Text(int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Gen.Elements(TopicPieces), n)).Select(pieces => string.Concat(pieces));

    public static Gen<string> Topic => Text(1, 12);

    public static Gen<string> Filter => Gen.OneOf(
        Topic,
        Topic.Select(t => t + "/#"),
        Topic.Select(t => "+/" + t),
        Gen.Constant("#"),
        Topic.Select(t => "$share/g/" + t));

    public static Gen<MqttQualityOfService> QoS => Gen.Elements(MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce, MqttQualityOfService.ExactlyOnce);

    public static Gen<MqttPacket> Publish =>
        from topic in Topic
        from payload in Bytes(300)
        from qos in QoS
        from retain in Gen.Elements(true, false)
        from dup in Gen.Elements(true, false)
        from id in PacketId
        select (MqttPacket)(qos == MqttQualityOfService.AtMostOnce
            ? new MqttPublishPacket(topic, payload, qos, retain)
            : new MqttPublishPacket(topic, payload, qos, retain, dup, id));

    public static Gen<MqttPacket> Connect =>
        from clientId in Text(0, 23)
        from clean in Gen.Elements(true, false)
        from keepAlive in Gen.Choose(0, ushort.MaxValue)
        from username in Gen.OneOf(Gen.Constant<string?>(null), Text(0, 10).Select(s => (string?)s))
        from password in Bytes(20)
        from hasPassword in Gen.Elements(true, false)
        from willTopic in Topic
        from willPayload in Bytes(40)
        from willQos in QoS
        from willRetain in Gen.Elements(true, false)
        from hasWill in Gen.Elements(true, false)
        select (MqttPacket)new MqttConnectPacket(
            clientId,
            clean,
            (ushort)keepAlive,
            username,
            username is not null && hasPassword ? new ReadOnlyMemory<byte>(password) : (ReadOnlyMemory<byte>?)null,
            hasWill ? new MqttWill(willTopic, willPayload, willQos, willRetain) : null);

    public static Gen<MqttPacket> Subscribe =>
        from id in PacketId
        from count in Gen.Choose(1, 5)
        from filters in Gen.ArrayOf(Filter, count)
        from qos in Gen.ArrayOf(QoS, count)
        select (MqttPacket)new MqttSubscribePacket(id, filters.Zip(qos, (f, q) => new MqttTopicFilter(f, q)).ToArray());

    public static Gen<MqttPacket> SubAck =>
        from id in PacketId
        from count in Gen.Choose(1, 5)
        from codes in Gen.ArrayOf(Gen.Elements<byte>(0, 1, 2, 0x80), count)
        select (MqttPacket)new MqttSubAckPacket(id, codes);

    public static Gen<MqttPacket> Unsubscribe =>
        from id in PacketId
        from count in Gen.Choose(1, 5)
        from filters in Gen.ArrayOf(Filter, count)
        select (MqttPacket)new MqttUnsubscribePacket(id, filters);

    public static Gen<MqttPacket> Small => Gen.OneOf(
        from present in Gen.Elements(true, false)
        from code in Gen.Choose(0, 5)
        select (MqttPacket)new MqttConnAckPacket(present, (byte)code),
        PacketId.Select(id => (MqttPacket)new MqttPubAckPacket(id)),
        PacketId.Select(id => (MqttPacket)new MqttPubRecPacket(id)),
        PacketId.Select(id => (MqttPacket)new MqttPubRelPacket(id)),
        PacketId.Select(id => (MqttPacket)new MqttPubCompPacket(id)),
        PacketId.Select(id => (MqttPacket)new MqttUnsubAckPacket(id)),
        Gen.Elements<MqttPacket>(MqttPingReqPacket.Instance, MqttPingRespPacket.Instance, MqttDisconnectPacket.Instance));

    public static Gen<MqttPacket> Any => Gen.OneOf(Publish, Connect, Subscribe, SubAck, Unsubscribe, Small);
}
