using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Irrigation.Mqtt.Formatter;

/// <summary>
/// Reads the variable header and payload of one packet whose remaining length is already known to be buffered.
/// Every method returns false, never throws, when the field would run past the end or breaks §1.5.
/// </summary>
internal ref struct MqttBodyReader
{
    private readonly ReadOnlySpan<byte> _body;
    private int _position;

    public MqttBodyReader(ReadOnlySpan<byte> body)
    {
        _body = body;
        _position = 0;
    }

    public readonly int Remaining => _body.Length - _position;

    public bool TryReadByte(out byte value)
    {
        value = 0;
        if (Remaining < 1)
            return false;
        value = _body[_position++];
        return true;
    }

    /// <summary>§1.5.2: 16-bit big-endian integer.</summary>
    public bool TryReadUInt16(out ushort value)
    {
        value = 0;
        if (Remaining < 2)
            return false;
        value = BinaryPrimitives.ReadUInt16BigEndian(_body[_position..]);
        _position += 2;
        return true;
    }

    /// <summary>A non-zero packet identifier (§2.3.1).</summary>
    public bool TryReadPacketId(out ushort packetId, out string? error)
    {
        error = null;
        if (!TryReadUInt16(out packetId))
        {
            error = "packet identifier runs past the end of the packet";
            return false;
        }

        if (packetId == 0)
        {
            error = "packet identifier 0 (§2.3.1 requires a non-zero identifier)";
            return false;
        }

        return true;
    }

    /// <summary>§1.5.3: 2-byte length, then well-formed UTF-8 without U+0000.</summary>
    public bool TryReadString(string field, out string value, out string? error)
    {
        value = string.Empty;
        if (!TryReadLengthPrefixed(field, out var bytes, out error))
            return false;
        if (!Utf8.IsValid(bytes))
        {
            error = $"{field} is not well-formed UTF-8 (§1.5.3)";
            return false;
        }

        if (bytes.Contains((byte)0))
        {
            error = $"{field} contains U+0000 (§1.5.3)";
            return false;
        }

        value = Encoding.UTF8.GetString(bytes);
        return true;
    }

    /// <summary>Binary data with a 2-byte length prefix (Will Message, Password: §3.1.3.3, §3.1.3.5), copied.</summary>
    public bool TryReadBinary(string field, out byte[] value, out string? error)
    {
        value = [];
        if (!TryReadLengthPrefixed(field, out var bytes, out error))
            return false;
        value = bytes.ToArray();
        return true;
    }

    /// <summary>Everything left (the PUBLISH payload), copied.</summary>
    public byte[] ReadRest()
    {
        var rest = _body[_position..].ToArray();
        _position = _body.Length;
        return rest;
    }

    private bool TryReadLengthPrefixed(string field, out ReadOnlySpan<byte> bytes, out string? error)
    {
        bytes = default;
        error = null;
        if (!TryReadUInt16(out var length))
        {
            error = $"{field} length runs past the end of the packet";
            return false;
        }

        if (length > Remaining)
        {
            error = $"{field} length {length} exceeds the {Remaining} bytes left in the packet";
            return false;
        }

        bytes = _body.Slice(_position, length);
        _position += length;
        return true;
    }
}
