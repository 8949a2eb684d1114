using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Influx.LineProtocol;
using Irrigation.Server.State;

namespace Irrigation.Server.Ingestion;

/// <summary>What decoding one message produced.</summary>
/// <summary>What decoding one message produced; a stored message names its station, sequence number and epoch ("" when it carries none).</summary>
public readonly record struct DecodeResult(bool Stored, DropReason Reason, int BadValues, int Points, int Fields, long TimestampMs)
{
    public StationEntry? Station { get; init; }

    public long Sequence { get; init; }

    public string Epoch { get; init; } = "";
}

/// <summary>
/// Turns one gateway telemetry message (docs/mqtt.md) into line protocol (docs/influx-schema.md) with
/// <see cref="Utf8JsonReader"/> straight from the payload bytes — no DOM, no strings per field — and updates the
/// latest-value cache. One point in <c>station</c> for the station-wide values plus one point in <c>pump</c> per
/// pump, all at the gateway's timestamp. A bad value drops that value; a bad header drops the message.
/// Not thread-safe: one decoder per ingest loop.
/// </summary>
public sealed class TelemetryDecoder
{
    public const int MaxPayloadBytes = 64 * 1024;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 8 };

    private readonly StationRegistry _stations;
    private readonly LatestValueCache _cache;
    private readonly List<PumpField> _pumpFields = new(64);
    private readonly byte[] _site = new byte[256];
    private readonly byte[] _gateway = new byte[128];
    private readonly byte[] _pumpNumber = new byte[4];
    private readonly byte[] _epoch = new byte[Contracts.TelemetryEpoch.MaxLength];

    /// <summary>The last epoch text seen per station: a stream's epoch changes once in its life, so it is allocated once.</summary>
    private readonly Dictionary<StationEntry, string> _epochs = new(ReferenceEqualityComparer.Instance);

    public TelemetryDecoder(StationRegistry stations, LatestValueCache cache)
    {
        _stations = stations;
        _cache = cache;
    }

    private readonly record struct PumpField(int Pump, int KeyStart, int KeyLength, double Value);

    /// <summary>Header fields read in the first pass.</summary>
    private ref struct Header
    {
        public int StationStart;
        public int StationLength;
        public int SiteLength;
        public int GatewayLength;
        public int EpochLength;
        public long Seq;
        public long Ts;
        public int Quality;
        public bool Replayed;
        public int ValuesStart;
        public int ValuesLength;
    }

    /// <summary>
    /// Decodes a message received on <c>{root}/{station}/telemetry</c>, given the topic's station segment (empty for any
    /// other topic: dropped). The segment is compared to the payload's "station".
    /// </summary>
    public DecodeResult Decode(ReadOnlySpan<char> topicStation, ReadOnlySpan<byte> payload, LineProtocolWriter writer)
    {
        Span<byte> station = stackalloc byte[128];
        // TryGetBytes: 64 non-ASCII characters need more than the buffer, and GetBytes would throw out of the caller's loop.
        var length = topicStation.Length <= 64 && System.Text.Encoding.UTF8.TryGetBytes(topicStation, station, out var written) ? written : 0;
        return Decode(station[..length], payload, writer);
    }

    /// <summary>
    /// Decodes <paramref name="payload"/> received on the telemetry topic of <paramref name="topicStation"/> and writes
    /// its points to <paramref name="writer"/>. On a dropped message nothing is written.
    /// </summary>
    public DecodeResult Decode(ReadOnlySpan<byte> topicStation, ReadOnlySpan<byte> payload, LineProtocolWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (payload.Length > MaxPayloadBytes)
            return Drop(DropReason.TooLarge);
        var header = default(Header);
        header.Quality = -1;
        header.Seq = -1;
        var reason = ReadHeader(payload, ref header);
        if (reason is { } r)
            return Drop(r);
        var station = payload.Slice(header.StationStart, header.StationLength);
        if (!station.SequenceEqual(topicStation))
            return Drop(DropReason.BadStation);
        var entry = _stations.Find(station);
        if (entry is null)
            return Drop(DropReason.UnknownStation);

        // Tag values the protocol cannot carry (a line feed) fall back to the registry's site / no gateway tag.
        var site = header.SiteLength > 0 && LineProtocolText.Problem(_site.AsSpan(0, header.SiteLength), LineProtocolElement.TagValue) is null
            ? _site.AsSpan(0, header.SiteLength)
            : entry.SiteUtf8;
        var gateway = LineProtocolText.Problem(_gateway.AsSpan(0, header.GatewayLength), LineProtocolElement.TagValue) is null
            ? _gateway.AsSpan(0, header.GatewayLength)
            : default;
        var values = payload.Slice(header.ValuesStart, header.ValuesLength);

        // Station point: station-wide values plus the message's own metadata.
        _pumpFields.Clear();
        var badValues = 0;
        var fields = 0;
        writer.BeginPoint("station"u8);
        if (gateway.Length > 0)
            writer.Tag("gateway"u8, gateway);
        if (site.Length > 0)
            writer.Tag("site"u8, site);
        writer.Tag("station"u8, station);
        var reader = new Utf8JsonReader(values, ReaderOptions);
        reader.Read(); // StartObject, checked in the first pass
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var keyStart = (int)reader.TokenStartIndex + 1;
            var key = reader.ValueSpan;
            var escaped = reader.ValueIsEscaped;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || escaped
                || LineProtocolText.Problem(key, LineProtocolElement.FieldKey) is not null || !TryReadValue(ref reader, out var value))
            {
                badValues++;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    reader.Skip();
                continue;
            }

            _cache.Update(entry, key, value, header.Ts);
            if (TryPumpKey(key, out var pump, out var name))
            {
                _pumpFields.Add(new PumpField(pump, header.ValuesStart + keyStart + (key.Length - name.Length), name.Length, value));
                continue;
            }

            writer.Field(key, value);
            fields++;
        }

        writer.Field("seq"u8, header.Seq);
        writer.Field("quality"u8, (long)header.Quality);
        writer.Field("replayed"u8, header.Replayed);
        writer.Timestamp(header.Ts);
        writer.EndPoint();
        var points = 1;

        // One point per pump, its fields in message order.
        _pumpFields.Sort(static (a, b) => a.Pump != b.Pump ? a.Pump.CompareTo(b.Pump) : a.KeyStart.CompareTo(b.KeyStart));
        for (var i = 0; i < _pumpFields.Count;)
        {
            var pump = _pumpFields[i].Pump;
            writer.BeginPoint("pump"u8);
            if (gateway.Length > 0)
                writer.Tag("gateway"u8, gateway);
            writer.Tag("pump"u8, PumpNumber(pump));
            if (site.Length > 0)
                writer.Tag("site"u8, site);
            writer.Tag("station"u8, station);
            for (; i < _pumpFields.Count && _pumpFields[i].Pump == pump; i++)
            {
                var f = _pumpFields[i];
                writer.Field(payload.Slice(f.KeyStart, f.KeyLength), f.Value);
                fields++;
            }

            writer.Timestamp(header.Ts);
            writer.EndPoint();
            points++;
        }

        LatestValueCache.Seen(entry, header.Ts, header.Quality);
        return new DecodeResult(true, default, badValues, points, fields + 3, header.Ts)
        {
            Station = entry,
            Sequence = header.Seq,
            Epoch = EpochText(entry, _epoch.AsSpan(0, header.EpochLength)),
        };
    }

    private string EpochText(StationEntry entry, ReadOnlySpan<byte> epoch)
    {
        if (epoch.IsEmpty)
            return "";
        if (_epochs.TryGetValue(entry, out var known) && System.Text.Ascii.Equals(epoch, known))
            return known;
        var text = System.Text.Encoding.ASCII.GetString(epoch);
        _epochs[entry] = text;
        return text;
    }

    private static DecodeResult Drop(DropReason reason) => new(false, reason, 0, 0, 0, 0);

    /// <summary>First pass: the header fields, wherever they are in the object, and where "values" is.</summary>
    private DropReason? ReadHeader(ReadOnlySpan<byte> payload, ref Header header)
    {
        var reader = new Utf8JsonReader(payload, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return DropReason.InvalidJson;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                    break;
                if (reader.TokenType != JsonTokenType.PropertyName)
                    return DropReason.InvalidJson;
                if (reader.ValueTextEquals("v"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var version))
                        return DropReason.WrongType;
                    if (version != 1)
                        return DropReason.UnsupportedVersion;
                }
                else if (reader.ValueTextEquals("station"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.ValueSpan.Length is 0 or > 64)
                        return DropReason.BadStation;
                    header.StationStart = (int)reader.TokenStartIndex + 1;
                    header.StationLength = reader.ValueSpan.Length;
                }
                else if (reader.ValueTextEquals("site"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                        return DropReason.WrongType;
                    header.SiteLength = CopyText(ref reader, _site); // 0 (the registry's site) when too long or not text
                }
                else if (reader.ValueTextEquals("gateway"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length > _gateway.Length)
                        return DropReason.WrongType;
                    header.GatewayLength = CopyText(ref reader, _gateway);
                }
                else if (reader.ValueTextEquals("seq"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out header.Seq) || header.Seq < 0)
                        return DropReason.WrongType;
                }
                else if (reader.ValueTextEquals("epoch"u8))
                {
                    // Only for completeness tracking: an epoch that is not short plain text is ignored, the values still stored.
                    if (!reader.Read())
                        return DropReason.InvalidJson;
                    header.EpochLength = 0;
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && Contracts.TelemetryEpoch.IsValid(reader.ValueSpan))
                    {
                        reader.ValueSpan.CopyTo(_epoch);
                        header.EpochLength = reader.ValueSpan.Length;
                    }
                    else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("ts"u8))
                {
                    if (!reader.Read())
                        return DropReason.InvalidJson;
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out header.Ts) || header.Ts <= 0)
                        return DropReason.MissingTimestamp;
                }
                else if (reader.ValueTextEquals("replayed"u8))
                {
                    if (!reader.Read() || reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                        return DropReason.WrongType;
                    header.Replayed = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.ValueTextEquals("quality"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                        return DropReason.WrongType;
                    header.Quality = reader.ValueTextEquals("good"u8) ? 0 : reader.ValueTextEquals("partial"u8) ? 1 : reader.ValueTextEquals("bad"u8) ? 2 : -1;
                    if (header.Quality < 0)
                        return DropReason.WrongType;
                }
                else if (reader.ValueTextEquals("values"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                        return DropReason.WrongType;
                    header.ValuesStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    header.ValuesLength = (int)reader.BytesConsumed - header.ValuesStart;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return DropReason.InvalidJson;
        }

        if (header.StationLength == 0)
            return DropReason.BadStation;
        if (header.Ts <= 0)
            return DropReason.MissingTimestamp;
        if (header.ValuesLength == 0 || header.Seq < 0)
            return DropReason.WrongType;
        if (header.Quality < 0)
            header.Quality = 0;
        return null;
    }

    /// <summary>
    /// Unescapes the current string into <paramref name="destination"/>; 0 when it does not fit or is not valid
    /// UTF-8 / UTF-16 (which <see cref="Utf8JsonReader.Read"/> does not check, and CopyString throws for).
    /// </summary>
    private static int CopyText(ref Utf8JsonReader reader, Span<byte> destination)
    {
        if (reader.ValueSpan.Length > destination.Length)
            return 0; // unescaping never makes text longer
        if (!reader.ValueIsEscaped)
        {
            if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
                return 0;
            reader.ValueSpan.CopyTo(destination);
            return reader.ValueSpan.Length;
        }

        try
        {
            return reader.CopyString(destination);
        }
        catch (InvalidOperationException)
        {
            return 0; // an invalid byte or a lone surrogate escape: rare, malformed input only
        }
    }

    /// <summary>Reads {"v": number, "u": "..."} from its StartObject to its EndObject.</summary>
    private static bool TryReadValue(ref Utf8JsonReader reader, out double value)
    {
        value = double.NaN;
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isValue = reader.ValueTextEquals("v"u8);
            if (!reader.Read())
                return false;
            if (isValue)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out value) || !double.IsFinite(value))
                {
                    // Skip the bad "v" (an object or array too), then the rest of this value's object — not the
                    // rest of "values": reading on from a skipped object's EndObject would take it for ours.
                    reader.Skip();
                    SkipRestOfObject(ref reader);
                    return false;
                }

                found = true;
            }
            else
            {
                reader.Skip();
            }
        }

        return found;
    }

    /// <summary>From the last token of a property's value to the EndObject of the object holding it.</summary>
    private static void SkipRestOfObject(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            reader.Skip();
        }
    }

    /// <summary>"pump12.running" → 12 and "running" (<see cref="PumpKeys"/>).</summary>
    private static bool TryPumpKey(ReadOnlySpan<byte> key, out int pump, out ReadOnlySpan<byte> name)
    {
        name = default;
        if (!PumpKeys.TryParse(key, out pump, out var start))
            return false;
        name = key[start..];
        return true;
    }

    private ReadOnlySpan<byte> PumpNumber(int pump)
    {
        pump.TryFormat(_pumpNumber, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        return _pumpNumber.AsSpan(0, written);
    }
}
