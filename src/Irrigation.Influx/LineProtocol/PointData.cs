using System.Buffers;
using System.Collections.Immutable;
using System.Text;

namespace Irrigation.Influx.LineProtocol;

/// <summary>
/// An immutable point: measurement, tags kept sorted by key (code point order, so the output is deterministic and
/// in the order the writer requires), fields sorted by key, optional timestamp in Unix milliseconds. Every
/// <c>Tag</c>/<c>Field</c>/<c>Timestamp</c> call returns a new point. Names are checked when added, so a point that
/// cannot be written fails where it is made rather than in a batch loop. For the hot path use
/// <see cref="LineProtocolWriter"/> directly.
/// </summary>
public sealed class PointData
{
    private static readonly ImmutableSortedDictionary<string, string> NoTags = ImmutableSortedDictionary.Create<string, string>(TagKeyComparer.Instance);
    private static readonly ImmutableSortedDictionary<string, FieldValue> NoFields = ImmutableSortedDictionary.Create<string, FieldValue>(TagKeyComparer.Instance);

    private readonly ImmutableSortedDictionary<string, string> _tags;
    private readonly ImmutableSortedDictionary<string, FieldValue> _fields;

    private PointData(string measurement, ImmutableSortedDictionary<string, string> tags, ImmutableSortedDictionary<string, FieldValue> fields, long? timestampMs)
    {
        Measurement = measurement;
        _tags = tags;
        _fields = fields;
        TimestampMs = timestampMs;
    }

    public string Measurement { get; }

    /// <summary>Tags in the order they are written.</summary>
    public IReadOnlyDictionary<string, string> Tags => _tags;

    /// <summary>Fields in the order they are written.</summary>
    public IReadOnlyDictionary<string, FieldValue> Fields => _fields;

    public long? TimestampMs { get; }

    /// <summary>A point with no tags, fields or timestamp yet.</summary>
    public static PointData Create(string measurement)
    {
        Check(measurement, LineProtocolElement.Measurement);
        return new PointData(measurement, NoTags, NoFields, null);
    }

    /// <summary>Adds or replaces a tag; a null or empty value removes it (the protocol has no empty tag values).</summary>
    public PointData Tag(string key, string? value)
    {
        Check(key, LineProtocolElement.TagKey);
        if (string.IsNullOrEmpty(value))
            return _tags.ContainsKey(key) ? new PointData(Measurement, _tags.Remove(key), _fields, TimestampMs) : this;
        Check(value, LineProtocolElement.TagValue);
        return new PointData(Measurement, _tags.SetItem(key, value), _fields, TimestampMs);
    }

    public PointData Field(string key, double value) => Field(key, FieldValue.Float(value));

    public PointData Field(string key, long value) => Field(key, FieldValue.Integer(value));

    public PointData Field(string key, ulong value) => Field(key, FieldValue.Unsigned(value));

    public PointData Field(string key, bool value) => Field(key, FieldValue.Boolean(value));

    public PointData Field(string key, string value) => Field(key, FieldValue.String(value));

    /// <summary>Adds or replaces a field.</summary>
    public PointData Field(string key, FieldValue value)
    {
        Check(key, LineProtocolElement.FieldKey);
        return new PointData(Measurement, _tags, _fields.SetItem(key, value), TimestampMs);
    }

    public PointData Timestamp(long unixMs) => new(Measurement, _tags, _fields, unixMs);

    public PointData Timestamp(DateTimeOffset time) => Timestamp(time.ToUnixTimeMilliseconds());

    /// <summary>Writes this point as one line; false when it was left out (no field that can be written).</summary>
    public bool WriteTo(LineProtocolWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.BeginPoint(Measurement);
        foreach (var (key, value) in _tags)
            writer.Tag(key, value);
        foreach (var (key, value) in _fields)
            value.WriteTo(writer, key);
        if (TimestampMs is { } ms)
            writer.Timestamp(ms);
        return writer.EndPoint();
    }

    /// <summary>The line this point writes, without the line feed; empty when it would be left out.</summary>
    public string ToLineProtocol(bool unsignedSuffix = false)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using var writer = new LineProtocolWriter(buffer, unsignedSuffix);
        return WriteTo(writer) ? Encoding.UTF8.GetString(buffer.WrittenSpan[..^1]) : "";
    }

    public override string ToString() => ToLineProtocol();

    private static void Check(string text, LineProtocolElement element)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (LineProtocolText.Problem(text, element) is { } problem)
            throw new ArgumentException($"{element} '{text}' {problem}.", nameof(text));
    }
}
