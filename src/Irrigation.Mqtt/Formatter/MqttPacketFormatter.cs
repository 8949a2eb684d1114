using System.Buffers;
using Irrigation.Mqtt.Packets;

namespace Irrigation.Mqtt.Formatter;

/// <summary>
/// Bytes &lt;-&gt; packets for MQTT 3.1.1 (OASIS Standard, 29 October 2014). Every packet starts with a fixed header
/// (§2.2):
/// <code>
/// 00     type (bits 7-4) and flags (bits 3-0)
/// 01..   remaining length: 1-4 bytes, 7 bits each, least significant group first, bit 7 = more (§2.2.3)
/// then   variable header and payload, remaining-length bytes
/// </code>
/// Writing validates the packet and throws <see cref="ArgumentException"/> for one that MQTT cannot express.
/// Reading never throws and never trusts a length: it returns Incomplete until the whole packet is buffered and
/// Malformed for anything §2–§3 forbid, including a packet larger than the caller's limit (decided from the
/// fixed header alone, before the body is buffered).
/// </summary>
public static partial class MqttPacketFormatter
{
    /// <summary>§2.2.3: the largest value four remaining-length bytes can hold (0xFF 0xFF 0xFF 0x7F).</summary>
    public const int MaxRemainingLength = 268_435_455;

    /// <summary>The fixed header is at most 1 type byte + 4 length bytes.</summary>
    public const int MaxFixedHeaderLength = 5;

    public static MqttReadStatus TryRead(in ReadOnlySequence<byte> input, int maxPacketSize, out MqttPacket? packet, out SequencePosition consumed, out string? error)
    {
        packet = null;
        error = null;
        consumed = input.Start;

        var reader = new SequenceReader<byte>(input);
        if (!reader.TryRead(out var first))
            return MqttReadStatus.Incomplete;

        var type = (MqttPacketType)(first >> 4);
        var flags = (byte)(first & 0x0F);
        if (!TryValidateFixedHeaderFlags(type, flags, out error))
            return Malformed(input, out consumed);

        // §2.2.3: up to four bytes; a continuation bit on the fourth is malformed.
        var remainingLength = 0;
        var lengthBytes = 0;
        while (true)
        {
            if (!reader.TryRead(out var encoded))
                return MqttReadStatus.Incomplete;
            remainingLength |= (encoded & 0x7F) << (7 * lengthBytes);
            lengthBytes++;
            if ((encoded & 0x80) == 0)
                break;
            if (lengthBytes == 4)
            {
                error = "remaining length longer than 4 bytes (§2.2.3)";
                return Malformed(input, out consumed);
            }
        }

        var headerLength = 1 + lengthBytes;
        var total = (long)headerLength + remainingLength;
        if (total > maxPacketSize)
        {
            error = $"{type.SpecName()} packet of {total} bytes exceeds the maximum packet size of {maxPacketSize} bytes";
            return Malformed(input, out consumed);
        }

        if (input.Length < total)
            return MqttReadStatus.Incomplete;

        var body = input.Slice(headerLength, remainingLength);
        packet = body.IsSingleSegment
            ? ReadBody(type, flags, body.FirstSpan, out error)
            : ReadBody(type, flags, body.ToArray(), out error);
        if (packet is null)
        {
            error = $"{type.SpecName()}: {error}";
            return Malformed(input, out consumed);
        }

        consumed = input.GetPosition(total);
        return MqttReadStatus.Complete;
    }

    /// <summary>Bytes the remaining-length field takes for <paramref name="remainingLength"/> (§2.2.3 table).</summary>
    public static int GetRemainingLengthSize(int remainingLength) => remainingLength switch
    {
        < 0 or > MaxRemainingLength => throw new ArgumentOutOfRangeException(nameof(remainingLength), remainingLength, $"Remaining length must be 0..{MaxRemainingLength} (§2.2.3)."),
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };

    /// <summary>Writes the remaining-length varint (§2.2.3) and returns the bytes written.</summary>
    public static int WriteRemainingLength(Span<byte> destination, int remainingLength)
    {
        var size = GetRemainingLengthSize(remainingLength);
        for (var i = 0; i < size; i++)
        {
            var encoded = (byte)(remainingLength & 0x7F);
            remainingLength >>= 7;
            if (remainingLength > 0)
                encoded |= 0x80;
            destination[i] = encoded;
        }

        return size;
    }

    /// <summary>§2.2.2 Table 2.2: the flags each type must carry; PUBLISH carries DUP, QoS (never 3) and RETAIN.</summary>
    private static bool TryValidateFixedHeaderFlags(MqttPacketType type, byte flags, out string? error)
    {
        error = null;
        switch (type)
        {
            case MqttPacketType.Publish:
                var qos = (flags >> 1) & 0x03;
                if (qos == 3)
                    error = "PUBLISH with QoS 3 (§3.3.1.2)";
                else if (qos == 0 && (flags & 0x08) != 0)
                    error = "PUBLISH with QoS 0 and DUP set (§3.3.1.1)";
                break;
            case MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe:
                if (flags != 0x02)
                    error = $"{type.SpecName()} fixed-header flags {flags:X1}, must be 2 (§2.2.2)";
                break;
            case >= MqttPacketType.Connect and <= MqttPacketType.Disconnect:
                if (flags != 0)
                    error = $"{type.SpecName()} fixed-header flags {flags:X1}, must be 0 (§2.2.2)";
                break;
            default:
                error = $"reserved packet type {(byte)type} (§2.2.1)";
                break;
        }

        return error is null;
    }

    private static MqttReadStatus Malformed(in ReadOnlySequence<byte> input, out SequencePosition consumed)
    {
        // Nothing after a malformed header can be trusted: discard everything buffered.
        consumed = input.End;
        return MqttReadStatus.Malformed;
    }
}
