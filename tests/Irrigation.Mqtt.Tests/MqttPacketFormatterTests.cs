using System.Buffers;
using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Formatter;
using Irrigation.Mqtt.Packets;
using Irrigation.Mqtt.Tests.TestSupport;

namespace Irrigation.Mqtt.Tests;

/// <summary>Exact bytes from the MQTT 3.1.1 layouts (§2, §3), written by hand from the spec, both directions.</summary>
public sealed class MqttPacketFormatterTests
{
    private const int Max = 1024 * 1024;

    // CONNECT, every flag: user, password, Will (retain, QoS 1), clean session, keep alive 60 (§3.1).
    //   10 1E                       fixed header, remaining length 30
    //   00 04 4D 51 54 54           protocol name "MQTT"
    //   04                          protocol level 4
    //   EE                          1110 1110: user, password, will retain, will QoS 01, will, clean session
    //   00 3C                       keep alive 60 s
    //   00 02 63 31                 client id "c1"
    //   00 03 77 2F 74              Will topic "w/t"
    //   00 03 62 79 65              Will message "bye"
    //   00 01 75                    user name "u"
    //   00 01 70                    password "p"
    private const string FullConnect = "10 1E 00 04 4D 51 54 54 04 EE 00 3C 00 02 63 31 00 03 77 2F 74 00 03 62 79 65 00 01 75 00 01 70";

    public static TheoryData<string, string> KnownPackets => new()
    {
        { "connect-full", FullConnect },
        { "connect-minimal", "10 0D 00 04 4D 51 54 54 04 00 00 00 00 01 61" },
        { "connack-session-present", "20 02 01 00" },
        { "connack-not-authorized", "20 02 00 05" },
        { "publish-qos0", "30 07 00 03 61 2F 62 68 69" },
        { "publish-qos0-retain", "31 07 00 03 61 2F 62 68 69" },
        { "publish-qos1-dup-retain", "3B 09 00 03 61 2F 62 00 0A 68 69" },
        { "publish-qos1", "32 09 00 03 61 2F 62 00 0A 68 69" },
        { "puback", "40 02 00 0A" },
        { "pubrec", "50 02 00 0A" },
        { "pubrel", "62 02 00 0A" },
        { "pubcomp", "70 02 00 0A" },
        { "subscribe", "82 0C 00 01 00 03 61 2F 23 01 00 01 62 00" },
        { "suback", "90 04 00 01 01 80" },
        { "unsubscribe", "A2 07 00 02 00 03 61 2F 23" },
        { "unsuback", "B0 02 00 02" },
        { "pingreq", "C0 00" },
        { "pingresp", "D0 00" },
        { "disconnect", "E0 00" },
    };

    private static MqttPacket Known(string name) => name switch
    {
        "connect-full" => new MqttConnectPacket("c1", CleanSession: true, KeepAliveSeconds: 60, "u", "p"u8.ToArray(), new MqttWill("w/t", "bye"u8.ToArray(), MqttQualityOfService.AtLeastOnce, Retain: true)),
        "connect-minimal" => new MqttConnectPacket("a", CleanSession: false, KeepAliveSeconds: 0),
        "connack-session-present" => new MqttConnAckPacket(true, 0),
        "connack-not-authorized" => new MqttConnAckPacket(false, 5),
        "publish-qos0" => new MqttPublishPacket("a/b", "hi"u8.ToArray()),
        "publish-qos0-retain" => new MqttPublishPacket("a/b", "hi"u8.ToArray(), Retain: true),
        "publish-qos1-dup-retain" => new MqttPublishPacket("a/b", "hi"u8.ToArray(), MqttQualityOfService.AtLeastOnce, Retain: true, Duplicate: true, PacketId: 10),
        "publish-qos1" => new MqttPublishPacket("a/b", "hi"u8.ToArray(), MqttQualityOfService.AtLeastOnce, PacketId: 10),
        "puback" => new MqttPubAckPacket(10),
        "pubrec" => new MqttPubRecPacket(10),
        "pubrel" => new MqttPubRelPacket(10),
        "pubcomp" => new MqttPubCompPacket(10),
        "subscribe" => new MqttSubscribePacket(1, [new MqttTopicFilter("a/#", MqttQualityOfService.AtLeastOnce), new MqttTopicFilter("b", MqttQualityOfService.AtMostOnce)]),
        "suback" => new MqttSubAckPacket(1, [0x01, 0x80]),
        "unsubscribe" => new MqttUnsubscribePacket(2, ["a/#"]),
        "unsuback" => new MqttUnsubAckPacket(2),
        "pingreq" => MqttPingReqPacket.Instance,
        "pingresp" => MqttPingRespPacket.Instance,
        "disconnect" => MqttDisconnectPacket.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Fact]
    public void WritePubAck_BatchOfIds_GivesTheSpecBytesOfEachPubAckBackToBack()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();

        foreach (ushort id in new ushort[] { 10, 0x1234, 65535 })
            Assert.Equal(4, MqttPacketFormatter.WritePubAck(id, buffer));

        Assert.Equal("40 02 00 0A 40 02 12 34 40 02 FF FF", Hex.Format(buffer.WrittenSpan.ToArray()));
        Assert.Equal(Hex.Format(MqttPacketFormatter.ToArray(new MqttPubAckPacket(10))), Hex.Format(buffer.WrittenSpan[..4].ToArray()));
    }

    [Theory]
    [MemberData(nameof(KnownPackets))]
    public void Write_KnownPacket_GivesSpecBytes(string name, string expected) =>
        Assert.Equal(expected, Hex.Format(MqttPacketFormatter.ToArray(Known(name))));

    [Theory]
    [MemberData(nameof(KnownPackets))]
    public void TryRead_KnownBytes_GivesPacketThatWritesTheSameBytes(string name, string bytes)
    {
        var input = Hex.Parse(bytes);
        Assert.Equal(MqttReadStatus.Complete, Read(new ReadOnlySequence<byte>(input), out var packet, out var remaining, out var error));
        Assert.Null(error);
        Assert.Equal(0, remaining);
        Assert.Equal(Known(name).Type, packet!.Type);
        Assert.Equal(bytes, Hex.Format(MqttPacketFormatter.ToArray(packet)));
    }

    [Fact]
    public void TryRead_FullConnect_ExposesEveryField()
    {
        Read(new ReadOnlySequence<byte>(Hex.Parse(FullConnect)), out var packet, out _, out _);
        var connect = Assert.IsType<MqttConnectPacket>(packet);
        Assert.Equal(("c1", true, (ushort)60, "u"), (connect.ClientId, connect.CleanSession, connect.KeepAliveSeconds, connect.Username));
        Assert.Equal("p", Encoding.UTF8.GetString(connect.Password!.Value.Span));
        Assert.Equal(("w/t", MqttQualityOfService.AtLeastOnce, true), (connect.Will!.Topic, connect.Will.QualityOfService, connect.Will.Retain));
        Assert.Equal("bye", Encoding.UTF8.GetString(connect.Will.Payload.Span));
    }

    [Fact]
    public void TryRead_PublishQos1DupRetain_ExposesFlagsIdAndPayload()
    {
        Read(new ReadOnlySequence<byte>(Hex.Parse("3B 09 00 03 61 2F 62 00 0A 68 69")), out var packet, out _, out _);
        var publish = Assert.IsType<MqttPublishPacket>(packet);
        Assert.Equal(("a/b", MqttQualityOfService.AtLeastOnce, true, true, (ushort)10, "hi"), (publish.Topic, publish.QualityOfService, publish.Retain, publish.Duplicate, publish.PacketId, Encoding.UTF8.GetString(publish.Payload.Span)));
    }

    // §2.2.3 table: the boundaries of 1, 2, 3 and 4 remaining-length bytes.
    [Theory]
    [InlineData(0, "00")]
    [InlineData(127, "7F")]
    [InlineData(128, "80 01")]
    [InlineData(16_383, "FF 7F")]
    [InlineData(16_384, "80 80 01")]
    [InlineData(2_097_151, "FF FF 7F")]
    [InlineData(2_097_152, "80 80 80 01")]
    [InlineData(268_435_455, "FF FF FF 7F")]
    public void WriteRemainingLength_SpecBoundaries_GivesSpecBytes(int value, string expected)
    {
        var destination = new byte[4];
        var written = MqttPacketFormatter.WriteRemainingLength(destination, value);
        Assert.Equal(expected, Hex.Format(destination.AsSpan(0, written)));
    }

    [Theory]
    [InlineData(127, "30 7F")]
    [InlineData(128, "30 80 01")]
    [InlineData(16_383, "30 FF 7F")]
    [InlineData(16_384, "30 80 80 01")]
    [InlineData(2_097_151, "30 FF FF 7F")]
    [InlineData(2_097_152, "30 80 80 80 01")]
    public void WriteThenTryRead_PublishAtLengthBoundary_RoundTripsWithSpecHeader(int remainingLength, string header)
    {
        // Topic "t" takes 3 bytes of the remaining length; the payload fills the rest.
        var payload = new byte[remainingLength - 3];
        payload.AsSpan().Fill(0x5A);
        var bytes = MqttPacketFormatter.ToArray(new MqttPublishPacket("t", payload));
        var headerBytes = Hex.Parse(header);
        Assert.Equal(header, Hex.Format(bytes.AsSpan(0, headerBytes.Length)));
        Assert.Equal(headerBytes.Length + remainingLength, bytes.Length);

        Assert.Equal(MqttReadStatus.Complete, Read(new ReadOnlySequence<byte>(bytes), out var packet, out _, out var error, maxPacketSize: 4 * 1024 * 1024));
        Assert.Null(error);
        Assert.Equal(payload.Length, Assert.IsType<MqttPublishPacket>(packet).Payload.Length);
    }

    [Fact]
    public void TryRead_FiveByteRemainingLength_IsMalformed()
    {
        Assert.Equal(MqttReadStatus.Malformed, Read(new ReadOnlySequence<byte>(Hex.Parse("30 80 80 80 80 01")), out _, out var remaining, out var error));
        Assert.Contains("4 bytes", error, StringComparison.Ordinal);
        Assert.Equal(0, remaining); // the stream is out of step: everything is discarded
    }

    [Fact]
    public void TryRead_OversizedRemainingLength_IsMalformedFromTheHeaderAlone()
    {
        // Five bytes announce a 268 MB packet: rejected without waiting for (or buffering) the body.
        Assert.Equal(MqttReadStatus.Malformed, Read(new ReadOnlySequence<byte>(Hex.Parse("30 FF FF FF 7F")), out _, out _, out var error, maxPacketSize: 1024));
        Assert.Contains("exceeds the maximum packet size of 1024", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_PacketExactlyAtMaximum_IsAccepted()
    {
        var bytes = MqttPacketFormatter.ToArray(new MqttPublishPacket("t", new byte[200]));
        Assert.Equal(MqttReadStatus.Complete, Read(new ReadOnlySequence<byte>(bytes), out _, out _, out _, maxPacketSize: bytes.Length));
        Assert.Equal(MqttReadStatus.Malformed, Read(new ReadOnlySequence<byte>(bytes), out _, out _, out _, maxPacketSize: bytes.Length - 1));
    }

    [Theory]
    [InlineData("36 05 00 01 61 00 01", "QoS 3")]                  // PUBLISH QoS 3
    [InlineData("38 03 00 01 61", "DUP")]                          // PUBLISH QoS 0 with DUP
    [InlineData("80 06 00 01 00 01 61 00", "must be 2")]          // SUBSCRIBE with flags 0000
    [InlineData("A0 05 00 01 00 01 61", "must be 2")]             // UNSUBSCRIBE with flags 0000
    [InlineData("60 02 00 01", "must be 2")]                       // PUBREL with flags 0000
    [InlineData("41 02 00 01", "must be 0")]                       // PUBACK with a flag set
    [InlineData("00 00", "reserved packet type 0")]
    [InlineData("F0 00", "reserved packet type 15")]
    [InlineData("40 03 00 01 00", "must be 2")]                    // PUBACK with 3 bytes
    [InlineData("40 02 00 00", "non-zero")]                        // PUBACK packet id 0
    [InlineData("C0 01 00", "must be 0")]                          // PINGREQ with a body
    [InlineData("20 02 02 00", "reserved acknowledge flags")]      // CONNACK reserved flag
    [InlineData("30 05 00 05 61 62 63", "exceeds")]                // topic length past the end
    [InlineData("30 03 00 01 2B", "wildcard")]                     // topic "+"
    [InlineData("30 04 00 02 C3 28", "UTF-8")]                     // invalid UTF-8 topic
    [InlineData("30 04 00 02 61 00", "U+0000")]                    // topic with NUL
    [InlineData("82 02 00 01", "no topic filter")]                 // SUBSCRIBE without filters
    [InlineData("82 06 00 01 00 01 61 03", "requested QoS")]      // SUBSCRIBE QoS 3 requested
    [InlineData("90 03 00 01 03", "reserved return code")]         // SUBACK code 3
    [InlineData("10 0D 00 04 4D 51 54 54 05 00 00 00 00 01 61", "protocol level 5")]
    public void TryRead_ForbiddenPacket_IsMalformedWithReason(string bytes, string reason)
    {
        Assert.Equal(MqttReadStatus.Malformed, Read(new ReadOnlySequence<byte>(Hex.Parse(bytes)), out var packet, out _, out var error));
        Assert.Null(packet);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_EveryPrefixOfAPacket_IsIncompleteAndConsumesNothing()
    {
        var bytes = Hex.Parse(FullConnect);
        for (var length = 0; length < bytes.Length; length++)
        {
            var input = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.Equal(MqttReadStatus.Incomplete, MqttPacketFormatter.TryRead(input, Max, out _, out var consumed, out _));
            Assert.Equal(input.Start, consumed);
        }
    }

    [Fact]
    public void TryRead_OneBytePerSegment_ReadsBothPacketsInTurn()
    {
        var bytes = Hex.Parse("3B 09 00 03 61 2F 62 00 0A 68 69 " + FullConnect);
        var input = Sequences.OneBytePerSegment(bytes);
        Assert.Equal(MqttReadStatus.Complete, MqttPacketFormatter.TryRead(input, Max, out var first, out var consumed, out _));
        Assert.IsType<MqttPublishPacket>(first);
        input = input.Slice(consumed);
        Assert.Equal(MqttReadStatus.Complete, MqttPacketFormatter.TryRead(input, Max, out var second, out consumed, out _));
        Assert.Equal(FullConnect, Hex.Format(MqttPacketFormatter.ToArray(second!)));
        Assert.True(input.Slice(consumed).IsEmpty);
    }

    [Fact]
    public void TryRead_SplitInsideRemainingLength_IsCompleteOnceWhole()
    {
        var bytes = MqttPacketFormatter.ToArray(new MqttPublishPacket("t", new byte[200], MqttQualityOfService.AtLeastOnce, PacketId: 7));
        Assert.Equal(MqttReadStatus.Incomplete, Read(new ReadOnlySequence<byte>(bytes, 0, 2), out _, out _, out _));
        Assert.Equal(MqttReadStatus.Complete, Read(Sequences.SplitAt(bytes, 2), out var packet, out _, out _));
        Assert.Equal(7, Assert.IsType<MqttPublishPacket>(packet).PacketId);
    }

    [Fact]
    public void Write_QoS1WithoutPacketId_Throws() =>
        Assert.Throws<ArgumentException>(() => MqttPacketFormatter.ToArray(new MqttPublishPacket("t", Array.Empty<byte>(), MqttQualityOfService.AtLeastOnce)));

    [Fact]
    public void Write_StringLongerThan65535Bytes_Throws() =>
        Assert.Throws<ArgumentException>(() => MqttPacketFormatter.ToArray(new MqttPublishPacket(new string('x', 65_536), Array.Empty<byte>())));

    [Fact]
    public void Write_LoneSurrogate_Throws() =>
        Assert.ThrowsAny<ArgumentException>(() => MqttPacketFormatter.ToArray(new MqttPublishPacket("a\uD800", Array.Empty<byte>())));

    private static MqttReadStatus Read(in ReadOnlySequence<byte> input, out MqttPacket? packet, out long remaining, out string? error, int maxPacketSize = Max)
    {
        var status = MqttPacketFormatter.TryRead(input, maxPacketSize, out packet, out var consumed, out error);
        remaining = input.Slice(consumed).Length;
        return status;
    }
}
