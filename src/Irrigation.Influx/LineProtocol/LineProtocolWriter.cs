using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Irrigation.Influx.LineProtocol;

/// <summary>
/// Writes points as InfluxDB line protocol straight into an <see cref="IBufferWriter{T}"/>, one line per point:
/// <code>measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [unix_ms]\n</code>
/// Call <see cref="BeginPoint(ReadOnlySpan{char})"/>, then <see cref="Tag"/> in ascending key order, then the
/// <c>Field</c> overloads, optionally <see cref="Timestamp"/> (milliseconds: send with <c>precision=ms</c>), then
/// <see cref="EndPoint"/>. A point is built in a reused scratch buffer and copied to the output only when it ends,
/// so a point with no (valid) field is left out, and a point abandoned by an exception leaves nothing behind.
/// After warm-up nothing is allocated per point. Not thread-safe.
/// </summary>
public sealed class LineProtocolWriter : IDisposable
{
    private const int InitialBufferBytes = 1024;
    private const int MaxNumberBytes = 32;

    private readonly IBufferWriter<byte> _output;
    private byte[] _line;
    private byte[] _text;
    private byte[] _lastTagKey;
    private int _length;
    private int _lastTagKeyLength;
    private int _fieldCount;
    private PointState _state;

    /// <param name="output">Where finished lines go.</param>
    /// <param name="unsignedSuffix">
    /// Write <see cref="ulong"/> fields with the <c>u</c> suffix (InfluxDB 1.8+/2.x). Off by default because influxd 1.6
    /// rejects the line ("invalid number") and VictoriaMetrics 1.79 stores 0: unsigned values are then written as
    /// <c>i</c> integers, and values above <see cref="long.MaxValue"/> are skipped and counted.
    /// </param>
    public LineProtocolWriter(IBufferWriter<byte> output, bool unsignedSuffix = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        UnsignedSuffix = unsignedSuffix;
        _line = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        _text = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        _lastTagKey = ArrayPool<byte>.Shared.Rent(128);
    }

    private enum PointState
    {
        None,
        Tags,
        Fields,
        Timestamped,
    }

    public bool UnsignedSuffix { get; }

    /// <summary>Points copied to the output.</summary>
    public long PointsWritten { get; private set; }

    /// <summary>Points left out because they had no field left to write.</summary>
    public long PointsOmitted { get; private set; }

    /// <summary>Fields left out: NaN or infinite floats, strings with a line feed, unsigned values that do not fit.</summary>
    public long FieldsSkipped { get; private set; }

    /// <summary>True between <see cref="BeginPoint(ReadOnlySpan{char})"/> and <see cref="EndPoint"/>.</summary>
    public bool InPoint => _state != PointState.None;

    /// <summary>Starts a point. Throws <see cref="ArgumentException"/> for a measurement that cannot be written.</summary>
    public void BeginPoint(ReadOnlySpan<char> measurement)
    {
        ThrowIfInPoint();
        BeginPoint(ToUtf8(measurement, 0));
    }

    /// <summary>Starts a point whose measurement is already UTF-8.</summary>
    public void BeginPoint(ReadOnlySpan<byte> utf8Measurement)
    {
        ThrowIfInPoint();
        Validate(utf8Measurement, LineProtocolElement.Measurement);
        _length = 0;
        _fieldCount = 0;
        _lastTagKeyLength = -1;
        AppendEscaped(utf8Measurement, LineProtocolElement.Measurement);
        _state = PointState.Tags;
    }

    /// <summary>
    /// Adds a tag. Keys must come in strictly ascending ordinal (UTF-8 byte, i.e. code point) order, the order
    /// influxd keeps them in; otherwise <see cref="InvalidOperationException"/>. An empty value is left out, since
    /// the protocol forbids it.
    /// </summary>
    public void Tag(ReadOnlySpan<char> key, ReadOnlySpan<char> value)
    {
        RequireState(PointState.Tags, "Tags must come after BeginPoint and before any field.");
        EnsureTextCapacity(Encoding.UTF8.GetMaxByteCount(key.Length) + Encoding.UTF8.GetMaxByteCount(value.Length));
        var keyUtf8 = ToUtf8(key, 0);
        Tag(keyUtf8, ToUtf8(value, keyUtf8.Length));
    }

    /// <summary>Adds a tag whose key and value are already UTF-8.</summary>
    public void Tag(ReadOnlySpan<byte> utf8Key, ReadOnlySpan<byte> utf8Value)
    {
        RequireState(PointState.Tags, "Tags must come after BeginPoint and before any field.");
        Validate(utf8Key, LineProtocolElement.TagKey);
        if (_lastTagKeyLength >= 0 && utf8Key.SequenceCompareTo(_lastTagKey.AsSpan(0, _lastTagKeyLength)) <= 0)
        {
            var message = $"Tag '{Encoding.UTF8.GetString(utf8Key)}' is out of order: tags must be given in ascending key order, without duplicates (previous '{Encoding.UTF8.GetString(_lastTagKey, 0, _lastTagKeyLength)}').";
            Abandon();
            throw new InvalidOperationException(message);
        }

        if (!utf8Value.IsEmpty)
            Validate(utf8Value, LineProtocolElement.TagValue);
        RememberTagKey(utf8Key);
        if (utf8Value.IsEmpty)
            return;
        Append((byte)',');
        AppendEscaped(utf8Key, LineProtocolElement.TagKey);
        Append((byte)'=');
        AppendEscaped(utf8Value, LineProtocolElement.TagValue);
    }

    /// <summary>A float field in shortest round-trip invariant form (<c>1.5</c>, <c>1E+21</c>); NaN and infinities are skipped.</summary>
    public void Field(ReadOnlySpan<char> key, double value) => Field(FieldKeyUtf8(key), value);

    /// <summary>A float field with a UTF-8 key (the allocation-free path from JSON property names).</summary>
    public void Field(ReadOnlySpan<byte> utf8Key, double value)
    {
        if (!BeginFieldUtf8(utf8Key, double.IsFinite(value)))
            return;
        Reserve(MaxNumberBytes);
        value.TryFormat(_line.AsSpan(_length), out var written, "R", CultureInfo.InvariantCulture);
        _length += written;
    }

    /// <summary>An integer field with a UTF-8 key.</summary>
    public void Field(ReadOnlySpan<byte> utf8Key, long value)
    {
        if (!BeginFieldUtf8(utf8Key, valid: true))
            return;
        AppendInteger(value);
        Append((byte)'i');
    }

    /// <summary>A boolean field with a UTF-8 key.</summary>
    public void Field(ReadOnlySpan<byte> utf8Key, bool value)
    {
        if (!BeginFieldUtf8(utf8Key, valid: true))
            return;
        AppendRaw(value ? "true"u8 : "false"u8);
    }

    /// <summary>An integer field: <c>-42i</c>.</summary>
    public void Field(ReadOnlySpan<char> key, long value) => Field(FieldKeyUtf8(key), value);

    /// <summary>An unsigned field: <c>42u</c> with <see cref="UnsignedSuffix"/>, else <c>42i</c> (see the constructor).</summary>
    public void Field(ReadOnlySpan<char> key, ulong value)
    {
        if (!BeginField(key, UnsignedSuffix || value <= long.MaxValue))
            return;
        Reserve(MaxNumberBytes);
        value.TryFormat(_line.AsSpan(_length), out var written, default, CultureInfo.InvariantCulture);
        _length += written;
        Append(UnsignedSuffix ? (byte)'u' : (byte)'i');
    }

    /// <summary>A boolean field: <c>true</c> or <c>false</c>.</summary>
    public void Field(ReadOnlySpan<char> key, bool value) => Field(FieldKeyUtf8(key), value);

    /// <summary>
    /// A string field: <c>"..."</c> with <c>"</c> and <c>\</c> escaped. A value with a line feed is skipped and counted:
    /// the protocol cannot carry it (influxd 1.6 happens to accept one inside quotes, VictoriaMetrics splits the line).
    /// </summary>
    public void Field(ReadOnlySpan<char> key, ReadOnlySpan<char> value)
    {
        if (!BeginField(key, LineProtocolText.IsWritableString(value)))
            return;
        var utf8 = ToUtf8(value, 0);
        Reserve(LineProtocolText.MaxEscapedLength(utf8.Length) + 2);
        _line[_length++] = (byte)'"';
        _length += LineProtocolText.EscapeString(utf8, _line.AsSpan(_length));
        _line[_length++] = (byte)'"';
    }

    /// <summary>The point's time in Unix milliseconds. Optional: without it the server stamps the point on arrival.</summary>
    public void Timestamp(long unixMs)
    {
        if (_state is not (PointState.Tags or PointState.Fields))
            throw new InvalidOperationException("Timestamp must come after BeginPoint and at most once per point.");
        _state = PointState.Timestamped;
        if (_fieldCount == 0)
            return;
        Append((byte)' ');
        AppendInteger(unixMs);
    }

    /// <summary>Ends the point: copies its line to the output and returns true, or leaves it out (no field) and returns false.</summary>
    public bool EndPoint()
    {
        if (_state == PointState.None)
            throw new InvalidOperationException("EndPoint without BeginPoint.");
        _state = PointState.None;
        if (_fieldCount == 0)
        {
            PointsOmitted++;
            return false;
        }

        Append((byte)'\n');
        var span = _output.GetSpan(_length);
        _line.AsSpan(0, _length).CopyTo(span);
        _output.Advance(_length);
        PointsWritten++;
        return true;
    }

    /// <summary>Drops the point being built, if any; nothing of it reaches the output.</summary>
    public void Abandon()
    {
        _state = PointState.None;
        _length = 0;
    }

    public void Dispose()
    {
        ReturnBuffer(ref _line);
        ReturnBuffer(ref _text);
        ReturnBuffer(ref _lastTagKey);
    }

    /// <summary>The key in UTF-8 (in the scratch buffer), after the same state check every field makes.</summary>
    private ReadOnlySpan<byte> FieldKeyUtf8(ReadOnlySpan<char> key)
    {
        if (_state is not (PointState.Tags or PointState.Fields))
            throw new InvalidOperationException("Fields must come after BeginPoint and before Timestamp.");
        return ToUtf8(key, 0);
    }

    private bool BeginField(ReadOnlySpan<char> key, bool valid)
    {
        if (_state is not (PointState.Tags or PointState.Fields))
            throw new InvalidOperationException("Fields must come after BeginPoint and before Timestamp.");
        return BeginFieldUtf8(ToUtf8(key, 0), valid);
    }

    private bool BeginFieldUtf8(ReadOnlySpan<byte> keyUtf8, bool valid)
    {
        if (_state is not (PointState.Tags or PointState.Fields))
            throw new InvalidOperationException("Fields must come after BeginPoint and before Timestamp.");
        Validate(keyUtf8, LineProtocolElement.FieldKey);
        if (!valid)
        {
            FieldsSkipped++;
            return false;
        }

        _state = PointState.Fields;
        Append(_fieldCount++ == 0 ? (byte)' ' : (byte)',');
        AppendEscaped(keyUtf8, LineProtocolElement.FieldKey);
        Append((byte)'=');
        return true;
    }

    private void Validate(ReadOnlySpan<byte> utf8, LineProtocolElement element)
    {
        var problem = LineProtocolText.Problem(utf8, element);
        if (problem is null)
            return;
        var text = Encoding.UTF8.GetString(utf8);
        Abandon();
        throw new ArgumentException($"{element} '{text}' {problem}; the point was not written.");
    }

    private void ThrowIfInPoint()
    {
        ObjectDisposedException.ThrowIf(_line.Length == 0, this);
        if (_state != PointState.None)
            throw new InvalidOperationException("BeginPoint while a point is open: call EndPoint (or Abandon) first.");
    }

    private void RequireState(PointState state, string message)
    {
        if (_state != state)
            throw new InvalidOperationException(message);
    }

    /// <summary>UTF-8 of <paramref name="chars"/> in the scratch text buffer at <paramref name="offset"/> (lone surrogates become U+FFFD).</summary>
    private ReadOnlySpan<byte> ToUtf8(ReadOnlySpan<char> chars, int offset)
    {
        if (offset == 0)
            EnsureTextCapacity(Encoding.UTF8.GetMaxByteCount(chars.Length));
        Utf8.FromUtf16(chars, _text.AsSpan(offset), out _, out var written, replaceInvalidSequences: true);
        return _text.AsSpan(offset, written);
    }

    /// <summary>Makes the scratch text buffer hold <paramref name="bytes"/>; spans into it taken before are invalid afterwards.</summary>
    private void EnsureTextCapacity(int bytes)
    {
        if (_text.Length < bytes)
            Grow(ref _text, bytes, 0);
    }

    private void RememberTagKey(ReadOnlySpan<byte> key)
    {
        if (_lastTagKey.Length < key.Length)
            Grow(ref _lastTagKey, key.Length, 0);
        key.CopyTo(_lastTagKey);
        _lastTagKeyLength = key.Length;
    }

    private void AppendEscaped(ReadOnlySpan<byte> utf8, LineProtocolElement element)
    {
        Reserve(LineProtocolText.MaxEscapedLength(utf8.Length));
        _length += LineProtocolText.Escape(utf8, element, _line.AsSpan(_length));
    }

    private void AppendInteger(long value)
    {
        Reserve(MaxNumberBytes);
        value.TryFormat(_line.AsSpan(_length), out var written, default, CultureInfo.InvariantCulture);
        _length += written;
    }

    private void AppendRaw(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_line.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Append(byte value)
    {
        Reserve(1);
        _line[_length++] = value;
    }

    private void Reserve(int bytes)
    {
        if (_line.Length - _length < bytes)
            Grow(ref _line, _length + bytes, _length);
    }

    /// <summary>Swaps <paramref name="buffer"/> for a pooled one of at least <paramref name="size"/> bytes, keeping the first <paramref name="keep"/>.</summary>
    private static void Grow(ref byte[] buffer, int size, int keep)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, buffer.Length * 2));
        buffer.AsSpan(0, keep).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
    }

    private static void ReturnBuffer(ref byte[] buffer)
    {
        if (buffer.Length == 0)
            return;
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}
