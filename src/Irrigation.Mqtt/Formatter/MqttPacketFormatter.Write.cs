using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Packets;

namespace Irrigation.Mqtt.Formatter;

/// <summary>Packet writers: the remaining length is computed first, then the whole packet goes into one span.</summary>
public static partial class MqttPacketFormatter
{
    /// <summary>Throws on lone surrogates instead of writing U+FFFD (§1.5.3: well-formed UTF-8 only).</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="packet"/> and returns its size in bytes.</summary>
    public static int Write(MqttPacket packet, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(output);
        var remainingLength = GetRemainingLength(packet);
        var total = 1 + GetRemainingLengthSize(remainingLength) + remainingLength;
        var span = output.GetSpan(total)[..total];
        span[0] = GetFirstByte(packet);                                        // 00     type and flags
        var writer = new SpanWriter(span, 1 + WriteRemainingLength(span[1..], remainingLength)); // 01..   remaining length
        WriteBody(packet, ref writer);
        if (writer.Position != total)
            throw new InvalidOperationException($"{packet.Type.SpecName()} writer produced {writer.Position} bytes, expected {total}.");
        output.Advance(total);
        return total;
    }

    /// <summary>
    /// A PUBACK (§3.4) without allocating a packet object, for acknowledging a batch of messages in one write:
    /// <c>40 02</c> then the packet identifier, most significant byte first. Returns its size, 4.
    /// </summary>
    public static int WritePubAck(ushort packetId, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(4);
        span[0] = (byte)((int)MqttPacketType.PubAck << 4);
        span[1] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], packetId);
        output.Advance(4);
        return 4;
    }

    /// <summary>The packet as a new array (tests, and control packets sent once).</summary>
    public static byte[] ToArray(MqttPacket packet)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Write(packet, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Variable header + payload length of <paramref name="packet"/>; validates what MQTT cannot express.</summary>
    public static int GetRemainingLength(MqttPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        long length = packet switch
        {
            MqttConnectPacket connect => ConnectLength(connect),
            MqttConnAckPacket => 2,
            MqttPublishPacket publish => PublishLength(publish),
            MqttPacketWithId withId => withId.PacketId != 0 ? 2 : throw new ArgumentException($"{packet.Type.SpecName()} needs a non-zero packet identifier (§2.3.1).", nameof(packet)),
            MqttSubscribePacket subscribe => SubscribeLength(subscribe),
            MqttSubAckPacket subAck => subAck.ReturnCodes.Count > 0 ? 2L + subAck.ReturnCodes.Count : throw new ArgumentException("SUBACK needs at least one return code.", nameof(packet)),
            MqttUnsubscribePacket unsubscribe => UnsubscribeLength(unsubscribe),
            MqttPingReqPacket or MqttPingRespPacket or MqttDisconnectPacket => 0,
            _ => throw new ArgumentException($"Unknown packet {packet.GetType().Name}.", nameof(packet)),
        };
        if (length > MaxRemainingLength)
            throw new ArgumentException($"{packet.Type.SpecName()} remaining length {length} exceeds {MaxRemainingLength} (§2.2.3).", nameof(packet));
        return (int)length;
    }

    private static byte GetFirstByte(MqttPacket packet)
    {
        var typeBits = (byte)((byte)packet.Type << 4);
        return packet switch
        {
            // §3.3.1: 3 DUP   2-1 QoS   0 RETAIN
            MqttPublishPacket p => (byte)(typeBits | (p.Duplicate ? 0x08 : 0) | ((byte)p.QualityOfService << 1) | (p.Retain ? 0x01 : 0)),
            MqttPubRelPacket or MqttSubscribePacket or MqttUnsubscribePacket => (byte)(typeBits | 0x02),
            _ => typeBits,
        };
    }

    private static void WriteBody(MqttPacket packet, ref SpanWriter writer)
    {
        switch (packet)
        {
            case MqttConnectPacket connect:
                writer.WriteString(ProtocolName);                   // 00-05 protocol name "MQTT"
                writer.WriteByte(ProtocolLevel);                    // 06    protocol level 4
                writer.WriteByte(ConnectFlags(connect));            // 07    connect flags
                writer.WriteUInt16(connect.KeepAliveSeconds);       // 08-09 keep alive, seconds
                writer.WriteString(connect.ClientId);               // payload (§3.1.3), in this order
                if (connect.Will is { } will)
                {
                    writer.WriteString(will.Topic);
                    writer.WriteBinary(will.Payload.Span);
                }

                if (connect.Username is not null)
                    writer.WriteString(connect.Username);
                if (connect.Password is { } password)
                    writer.WriteBinary(password.Span);
                break;
            case MqttConnAckPacket connAck:
                writer.WriteByte(connAck.SessionPresent ? (byte)1 : (byte)0); // 00 acknowledge flags
                writer.WriteByte(connAck.ReturnCode);                         // 01 return code
                break;
            case MqttPublishPacket publish:
                writer.WriteString(publish.Topic);
                if (publish.QualityOfService != MqttQualityOfService.AtMostOnce)
                    writer.WriteUInt16(publish.PacketId);
                writer.WriteBytes(publish.Payload.Span);
                break;
            case MqttPacketWithId withId:
                writer.WriteUInt16(withId.PacketId);
                break;
            case MqttSubscribePacket subscribe:
                writer.WriteUInt16(subscribe.PacketId);
                foreach (var filter in subscribe.Filters)
                {
                    writer.WriteString(filter.Filter);
                    writer.WriteByte((byte)filter.QualityOfService);
                }

                break;
            case MqttSubAckPacket subAck:
                writer.WriteUInt16(subAck.PacketId);
                foreach (var code in subAck.ReturnCodes)
                    writer.WriteByte(code);
                break;
            case MqttUnsubscribePacket unsubscribe:
                writer.WriteUInt16(unsubscribe.PacketId);
                foreach (var filter in unsubscribe.Filters)
                    writer.WriteString(filter);
                break;
        }
    }

    /// <summary>§3.1.2.3: 7 user name, 6 password, 5 will retain, 4-3 will QoS, 2 will flag, 1 clean session, 0 reserved.</summary>
    private static byte ConnectFlags(MqttConnectPacket connect)
    {
        var flags = 0;
        if (connect.Username is not null)
            flags |= 0x80;
        if (connect.Password is not null)
            flags |= 0x40;
        if (connect.Will is { } will)
            flags |= (will.Retain ? 0x20 : 0) | ((byte)will.QualityOfService << 3) | 0x04;
        if (connect.CleanSession)
            flags |= 0x02;
        return (byte)flags;
    }

    private static long ConnectLength(MqttConnectPacket connect)
    {
        if (connect.Password is not null && connect.Username is null)
            throw new ArgumentException("CONNECT with a password needs a user name (§3.1.2.9).", nameof(connect));
        long length = 10 + StringLength(connect.ClientId);
        if (connect.Will is { } will)
        {
            if ((byte)will.QualityOfService > 2)
                throw new ArgumentException($"Will QoS {(byte)will.QualityOfService} is not 0..2.", nameof(connect));
            length += StringLength(will.Topic) + BinaryLength(will.Payload.Length);
        }

        if (connect.Username is not null)
            length += StringLength(connect.Username);
        if (connect.Password is { } password)
            length += BinaryLength(password.Length);
        return length;
    }

    private static long PublishLength(MqttPublishPacket publish)
    {
        switch (publish.QualityOfService)
        {
            case MqttQualityOfService.AtMostOnce when publish.Duplicate:
                throw new ArgumentException("PUBLISH QoS 0 cannot carry DUP (§3.3.1.1).", nameof(publish));
            case MqttQualityOfService.AtLeastOnce or MqttQualityOfService.ExactlyOnce when publish.PacketId == 0:
                throw new ArgumentException("PUBLISH QoS 1 and 2 need a non-zero packet identifier (§2.3.1).", nameof(publish));
            case > MqttQualityOfService.ExactlyOnce:
                throw new ArgumentException($"PUBLISH QoS {(byte)publish.QualityOfService} is not 0..2.", nameof(publish));
        }

        return StringLength(publish.Topic) + (publish.QualityOfService == MqttQualityOfService.AtMostOnce ? 0 : 2) + publish.Payload.Length;
    }

    private static long SubscribeLength(MqttSubscribePacket subscribe)
    {
        if (subscribe.PacketId == 0 || subscribe.Filters.Count == 0)
            throw new ArgumentException("SUBSCRIBE needs a non-zero packet identifier and at least one filter (§3.8.3).", nameof(subscribe));
        long length = 2;
        foreach (var filter in subscribe.Filters)
            length += StringLength(filter.Filter) + 1;
        return length;
    }

    private static long UnsubscribeLength(MqttUnsubscribePacket unsubscribe)
    {
        if (unsubscribe.PacketId == 0 || unsubscribe.Filters.Count == 0)
            throw new ArgumentException("UNSUBSCRIBE needs a non-zero packet identifier and at least one filter (§3.10.3).", nameof(unsubscribe));
        long length = 2;
        foreach (var filter in unsubscribe.Filters)
            length += StringLength(filter);
        return length;
    }

    /// <summary>§1.5.3: 2-byte length + at most 65535 bytes of UTF-8 without U+0000.</summary>
    private static int StringLength(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("MQTT strings cannot contain U+0000 (§1.5.3).", nameof(value));
        var bytes = StrictUtf8.GetByteCount(value);
        return bytes <= ushort.MaxValue ? 2 + bytes : throw new ArgumentException($"MQTT strings are at most 65535 bytes of UTF-8, this one is {bytes} (§1.5.3).", nameof(value));
    }

    private static int BinaryLength(int length) =>
        length <= ushort.MaxValue ? 2 + length : throw new ArgumentException($"MQTT binary fields are at most 65535 bytes, this one is {length}.", nameof(length));

    /// <summary>Writes big-endian fields into a span already sized by <see cref="GetRemainingLength"/>.</summary>
    private ref struct SpanWriter(Span<byte> destination, int position)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; } = position;

        public void WriteByte(byte value) => _destination[Position++] = value;

        public void WriteUInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_destination[Position..], value);
            Position += 2;
        }

        public void WriteString(string value)
        {
            var length = StrictUtf8.GetBytes(value, _destination[(Position + 2)..]);
            WriteUInt16((ushort)length);
            Position += length;
        }

        public void WriteBinary(ReadOnlySpan<byte> value)
        {
            WriteUInt16((ushort)value.Length);
            WriteBytes(value);
        }

        public void WriteBytes(ReadOnlySpan<byte> value)
        {
            value.CopyTo(_destination[Position..]);
            Position += value.Length;
        }
    }
}
