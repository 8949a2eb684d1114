using System.Buffers;
using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Polling;
using Irrigation.Mqtt.Client;

namespace Irrigation.Gateway.Publishing;

/// <summary>Per-station publishing state: the sequence number and what was last sent, for report-on-change.</summary>
public sealed class StationPublishState
{
    public long Sequence { get; set; }

    public DateTimeOffset LastSnapshot { get; set; } = DateTimeOffset.MinValue;

    public Dictionary<string, double> LastSent { get; } = new(StringComparer.Ordinal);

    public TelemetryQuality? LastQuality { get; set; }
}

/// <summary>
/// Turns poll results into telemetry messages (schema in docs/mqtt.md) and puts them in the outbox and the history:
/// a full snapshot every <see cref="PublishingSettings.SnapshotInterval"/>, and in between only the quantities
/// that moved by more than their profile deadband (or a quality change).
/// </summary>
public sealed class TelemetryPublisher
{
    private readonly GatewayOptions _options;
    private readonly Outbox _outbox;
    private readonly PublishHistory _history;
    private readonly IMqttClient _mqtt;
    private readonly GatewayCounters _counters;
    private readonly Dictionary<string, double> _deadbands;

    public TelemetryPublisher(GatewayOptions options, IReadOnlyList<StationDefinition> stations, Outbox outbox, PublishHistory history, IMqttClient mqtt, GatewayCounters counters)
    {
        ArgumentNullException.ThrowIfNull(stations);
        _options = options;
        _outbox = outbox;
        _history = history;
        _mqtt = mqtt;
        _counters = counters;
        _deadbands = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var station in stations)
        {
            foreach (var q in (station.Meter?.Expand(0) ?? []).Concat(station.Controller?.Expand(station.PumpCount) ?? []))
                _deadbands[station.Id + "|" + q.Key] = q.Definition.Deadband;
        }
    }

    /// <summary>Publishes what changed (or a snapshot when due); returns true if a message was queued.</summary>
    public bool Publish(StationDefinition station, StationReading reading, StationPublishState state)
    {
        ArgumentNullException.ThrowIfNull(station);
        ArgumentNullException.ThrowIfNull(reading);
        ArgumentNullException.ThrowIfNull(state);
        var snapshot = reading.Timestamp - state.LastSnapshot >= _options.Publishing.SnapshotInterval;
        var changed = new List<Devices.QuantityValue>(reading.Values.Count);
        foreach (var value in reading.Values)
        {
            if (!double.IsFinite(value.Value))
                continue;
            if (snapshot || !state.LastSent.TryGetValue(value.Key, out var last) || Moved(station.Id, value.Key, last, value.Value))
                changed.Add(value);
        }

        var quality = reading.Quality;
        if (!snapshot && changed.Count == 0 && quality == state.LastQuality)
            return false;

        state.Sequence++;
        var values = new TelemetryValue[changed.Count];
        for (var i = 0; i < changed.Count; i++)
            values[i] = new TelemetryValue(changed[i].Key, Math.Round(changed[i].Value, 6), changed[i].Unit);
        var header = new TelemetryHeader(
            station.Id, station.Settings.Site, _options.Id, state.Sequence, reading.Timestamp.ToUnixTimeMilliseconds(),
            snapshot ? TelemetryKind.Snapshot : TelemetryKind.Change, Replayed: !_mqtt.IsConnected, quality,
            reading.Meter is { } meter ? Link(meter) : null, reading.Controller is { } controller ? Link(controller) : null)
        {
            Epoch = _history.Epoch,
        };
        var buffer = new ArrayBufferWriter<byte>(256 + (changed.Count * 48));
        TelemetryPayload.Write(buffer, header, values);
        _outbox.Enqueue(Topics.Telemetry(_options.TopicRoot, station.Id), buffer.WrittenSpan);
        _history.Record(station.Id, state.Sequence, header.TimestampMs, buffer.WrittenSpan);
        foreach (var value in changed)
            state.LastSent[value.Key] = value.Value;
        if (snapshot)
            state.LastSnapshot = reading.Timestamp;
        state.LastQuality = quality;
        _counters.TelemetryQueued();
        return true;
    }

    private static DeviceLink Link(DeviceQuality quality) => quality == DeviceQuality.Good ? DeviceLink.Good : DeviceLink.CommsLost;

    private bool Moved(string station, string key, double last, double now)
    {
        var deadband = _deadbands.GetValueOrDefault(station + "|" + key);
        return deadband <= 0 ? now != last : Math.Abs(now - last) >= deadband;
    }

    /// <summary>Highest sequence number per station among the messages still in the outbox.</summary>
    public static Dictionary<string, long> RecoverSequences(Outbox outbox)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        var max = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var payload in outbox.ScanPayloads())
        {
            string? station = null;
            long seq = -1;
            var reader = new Utf8JsonReader(payload.Span);
            try
            {
                while (reader.Read())
                {
                    if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                        continue;
                    if (reader.ValueTextEquals("station"u8) && reader.Read())
                        station = reader.GetString();
                    else if (reader.ValueTextEquals("seq"u8) && reader.Read() && reader.TokenType == JsonTokenType.Number)
                        seq = reader.GetInt64();
                    if (station is not null && seq >= 0)
                        break;
                }
            }
            catch (JsonException)
            {
                continue; // command results and other messages without a sequence
            }

            if (station is not null && seq >= 0 && seq > max.GetValueOrDefault(station))
                max[station] = seq;
        }

        return max;
    }
}
