using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Devices;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Polling;
using Irrigation.Gateway.Publishing;
using Irrigation.Spool;
using Irrigation.Testing;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// Poll results to telemetry messages (docs/mqtt.md) through a real <see cref="Outbox"/> on disk: snapshots,
/// report-on-change with profile deadbands, quality changes, sequence numbers and their recovery.
/// </summary>
public sealed partial class TelemetryPublisherTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1763771400123);

    /// <summary>Values the readings start from; every other quantity reads 0.</summary>
    private static readonly Dictionary<string, double> Baseline = new()
    {
        ["voltage_a"] = 229.8,
        ["voltage_b"] = 230.4,
        ["voltage_c"] = 228.9,
        ["active_power"] = 12410.5,
        ["forward_energy"] = 15234.25,
        ["remote_mode"] = 1,
        ["mains_present"] = 1,
        ["sump_level"] = 2.5,
        ["pump1.running"] = 1,
        ["pump1.motor_current"] = 21.4,
    };

    private readonly ScratchDirectory _directory = new("telemetry");
    private readonly FixedStateMqttClient _mqtt = new(connected: true);
    private readonly GatewayOptions _options;
    private readonly IReadOnlyList<StationDefinition> _stations;
    private Outbox _outbox;

    public TelemetryPublisherTests()
    {
        _options = new GatewayOptions { ProfilesDirectory = RepoPaths.Profiles, Publishing = { SnapshotInterval = TimeSpan.FromSeconds(60) } };
        _options.Stations.Add(new StationSettings
        {
            Id = "st001",
            Site = "城东镇",
            Meter = new DeviceSettings { Profile = "chint-dtsu666" },
            Controller = new DeviceSettings { Profile = "irrigation-pump-controller", Pumps = 1 },
        });
        _options.Stations.Add(new StationSettings
        {
            Id = "st002",
            Site = "石门镇",
            Endpoint = { Port = 503 },
            Controller = new DeviceSettings { Profile = "irrigation-pump-controller", Pumps = 1 },
        });
        _stations = GatewayConfiguration.Validate(_options, "test.json", _directory.Path);
        _outbox = OpenOutbox();
        _options.DataDirectory = _directory.Path;
        History = PublishHistory.Open(_options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System);
        Publisher = new TelemetryPublisher(_options, _stations, _outbox, History, _mqtt, new GatewayCounters());
    }

    private TelemetryPublisher Publisher { get; }

    private PublishHistory History { get; }

    private StationDefinition St001 => _stations[0];

    private StationDefinition St002 => _stations[1];

    public void Dispose()
    {
        _outbox.Dispose();
        History.Dispose();
        _directory.Dispose();
    }

    private Outbox OpenOutbox() => new(DurableQueue.Open(new DurableQueueOptions { Directory = _directory.File("outbox"), SegmentBytes = 64 * 1024, MaxBytes = 1024 * 1024 }));

    /// <summary>A poll of <paramref name="station"/>: every quantity of every answering device, baseline values changed by <paramref name="changes"/>.</summary>
    private static StationReading Reading(StationDefinition station, DateTimeOffset timestamp, Dictionary<string, double>? changes = null, DeviceQuality meter = DeviceQuality.Good, DeviceQuality controller = DeviceQuality.Good)
    {
        var values = new List<QuantityValue>();
        void Add(IEnumerable<QuantityInstance> quantities)
        {
            foreach (var q in quantities)
            {
                var value = changes is not null && changes.TryGetValue(q.Key, out var changed) ? changed : Baseline.GetValueOrDefault(q.Key);
                values.Add(new QuantityValue(q.Key, q.Definition.Name, q.Pump, value, q.Definition.Unit));
            }
        }

        if (station.Meter is not null && meter == DeviceQuality.Good)
            Add(station.Meter.Expand(0));
        if (station.Controller is not null && controller == DeviceQuality.Good)
            Add(station.Controller.Expand(station.PumpCount));
        return new StationReading(
            timestamp,
            values,
            station.Meter is null ? null : meter,
            station.Controller is null ? null : controller,
            meter == DeviceQuality.Good && controller == DeviceQuality.Good ? null : "timeout");
    }

    private static int QuantityCount(StationDefinition station) => (station.Meter?.Expand(0).Count ?? 0) + (station.Controller?.Expand(station.PumpCount).Count ?? 0);

    /// <summary>Messages put in the outbox since the last call.</summary>
    private List<OutboxMessage> Drain() => _outbox.ReadBatch(1000).ToList();

    private static JsonObject Json(OutboxMessage message) => JsonNode.Parse(message.Payload.Span)!.AsObject();

    private static JsonObject Values(JsonObject telemetry) => telemetry["values"]!.AsObject();

    [Fact]
    public void Publish_FirstPoll_SnapshotWithEveryValueAndSeq1()
    {
        var state = new StationPublishState();

        var queued = Publisher.Publish(St001, Reading(St001, T0), state);

        Assert.True(queued);
        var message = Assert.Single(Drain());
        var json = Json(message);
        Assert.Equal("snapshot", (string?)json["kind"]);
        Assert.Equal(1, json["seq"]!.GetValue<long>());
        Assert.Equal(1, state.Sequence);
        Assert.Equal(QuantityCount(St001), Values(json).Count);
        Assert.Equal(229.8, Values(json)["voltage_a"]!["v"]!.GetValue<double>());
        Assert.Equal(T0, state.LastSnapshot);
    }

    [Fact]
    public void Publish_FirstPoll_ExactFieldNamesUnitsAndTopic()
    {
        Publisher.Publish(St001, Reading(St001, T0), new StationPublishState());

        var message = Assert.Single(Drain());
        var text = Encoding.UTF8.GetString(message.Payload.Span);
        var json = Json(message);
        Assert.Equal("irrigation/st001/telemetry", message.Topic);
        Assert.False(message.Retain);
        Assert.Equal(["v", "station", "site", "gateway", "seq", "epoch", "ts", "kind", "replayed", "quality", "devices", "values"], json.Select(p => p.Key));
        Assert.StartsWith($$"""{"v":1,"station":"st001","site":"城东镇","gateway":"gw-01","seq":1,"epoch":"{{History.Epoch}}","ts":1763771400123,"kind":"snapshot","replayed":false,"quality":"good","devices":{"meter":"good","controller":"good"},"values":{""", text, StringComparison.Ordinal);
        Assert.Contains("""
            "voltage_a":{"v":229.8,"u":"V"}
            """, text, StringComparison.Ordinal);
        Assert.Contains("""
            "active_power":{"v":12410.5,"u":"W"}
            """, text, StringComparison.Ordinal);
        Assert.Contains("""
            "forward_energy":{"v":15234.25,"u":"kWh"}
            """, text, StringComparison.Ordinal);
        Assert.Contains("""
            "sump_level":{"v":2.5,"u":"m"}
            """, text, StringComparison.Ordinal);
        Assert.Contains("""
            "pump1.running":{"v":1,"u":""}
            """, text, StringComparison.Ordinal);
        Assert.Contains("""
            "pump1.motor_current":{"v":21.4,"u":"A"}
            """, text, StringComparison.Ordinal);
        Assert.EndsWith("}}}", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Publish_ChangeBelowDeadband_NothingQueued()
    {
        var state = new StationPublishState();
        Publisher.Publish(St001, Reading(St001, T0), state);
        Drain();

        // voltage_a's deadband in chint-dtsu666 is 1 V; motor current's 0.5 A.
        var queued = Publisher.Publish(St001, Reading(St001, T0.AddSeconds(1), new() { ["voltage_a"] = 230.5, ["pump1.motor_current"] = 21.8 }), state);

        Assert.False(queued);
        Assert.Empty(Drain());
        Assert.Equal(1, state.Sequence);
    }

    [Fact]
    public void Publish_ChangeAboveDeadband_ChangeMessageWithOnlyThatValue()
    {
        var state = new StationPublishState();
        Publisher.Publish(St001, Reading(St001, T0), state);
        Drain();

        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(1), new() { ["voltage_a"] = 231.2, ["voltage_b"] = 230.6 }), state);

        var json = Json(Assert.Single(Drain()));
        Assert.Equal("change", (string?)json["kind"]);
        Assert.Equal(2, json["seq"]!.GetValue<long>());
        Assert.Equal(T0.AddSeconds(1).ToUnixTimeMilliseconds(), json["ts"]!.GetValue<long>());
        Assert.Equal("""{"voltage_a":{"v":231.2,"u":"V"}}""", Values(json).ToJsonString());
    }

    [Fact]
    public void Publish_SmallStepsAddUpPastDeadband_ComparedWithLastSentValue()
    {
        var state = new StationPublishState();
        Publisher.Publish(St001, Reading(St001, T0), state);
        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(1), new() { ["voltage_a"] = 230.4 }), state);
        Drain();

        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(2), new() { ["voltage_a"] = 230.9 }), state);

        var json = Json(Assert.Single(Drain()));
        Assert.Equal(230.9, Values(json)["voltage_a"]!["v"]!.GetValue<double>());
    }

    [Fact]
    public void Publish_ZeroDeadbandBitFlips_ChangeMessage()
    {
        var state = new StationPublishState();
        Publisher.Publish(St001, Reading(St001, T0), state);
        Drain();

        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(1), new() { ["pump1.running"] = 0 }), state);

        var json = Json(Assert.Single(Drain()));
        Assert.Equal("""{"pump1.running":{"v":0,"u":""}}""", Values(json).ToJsonString());
    }

    [Fact]
    public void Publish_QualityChanges_ChangeMessageWithDeviceStates()
    {
        var state = new StationPublishState();
        Publisher.Publish(St001, Reading(St001, T0), state);
        Drain();

        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(1), meter: DeviceQuality.CommsLost), state);
        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(2), meter: DeviceQuality.CommsLost), state);
        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(3), meter: DeviceQuality.CommsLost, controller: DeviceQuality.CommsLost), state);

        var messages = Drain().Select(Json).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal("change", (string?)messages[0]["kind"]);
        Assert.Equal("partial", (string?)messages[0]["quality"]);
        Assert.Equal("""{"meter":"comms_lost","controller":"good"}""", messages[0]["devices"]!.ToJsonString());
        Assert.Empty(Values(messages[0]));
        Assert.Equal("bad", (string?)messages[1]["quality"]);
        Assert.Equal("""{"meter":"comms_lost","controller":"comms_lost"}""", messages[1]["devices"]!.ToJsonString());
        Assert.Equal([2L, 3L], messages.Select(m => m["seq"]!.GetValue<long>()));
    }

    [Fact]
    public void Publish_SnapshotIntervalElapsed_SnapshotWithEveryValue()
    {
        var state = new StationPublishState();
        Publisher.Publish(St001, Reading(St001, T0), state);
        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(59)), state);
        Assert.Single(Drain());

        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(60)), state);

        var json = Json(Assert.Single(Drain()));
        Assert.Equal("snapshot", (string?)json["kind"]);
        Assert.Equal(2, json["seq"]!.GetValue<long>());
        Assert.Equal(QuantityCount(St001), Values(json).Count);
        Assert.Equal(T0.AddSeconds(60), state.LastSnapshot);
    }

    [Fact]
    public void Publish_NaNAndInfinity_SkippedAndOthersPublished()
    {
        Publisher.Publish(St001, Reading(St001, T0, new() { ["voltage_b"] = double.NaN, ["voltage_c"] = double.PositiveInfinity }), new StationPublishState());

        var message = Assert.Single(Drain());
        var values = Values(Json(message));
        Assert.False(values.ContainsKey("voltage_b"));
        Assert.False(values.ContainsKey("voltage_c"));
        Assert.Equal(QuantityCount(St001) - 2, values.Count);
        Assert.DoesNotContain("NaN", Encoding.UTF8.GetString(message.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void Publish_NaNAfterGoodValue_NoChangeMessageAndLastGoodKept()
    {
        var state = new StationPublishState();
        Publisher.Publish(St001, Reading(St001, T0), state);
        Drain();

        var queued = Publisher.Publish(St001, Reading(St001, T0.AddSeconds(1), new() { ["voltage_a"] = double.NaN }), state);

        Assert.False(queued);
        Assert.Equal(229.8, state.LastSent["voltage_a"]);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Publish_BrokerConnectionState_ReplayedIsItsOpposite(bool connected, bool replayed)
    {
        _mqtt.IsConnected = connected;

        Publisher.Publish(St001, Reading(St001, T0), new StationPublishState());

        Assert.Equal(replayed, Json(Assert.Single(Drain()))["replayed"]!.GetValue<bool>());
    }

    [Fact]
    public void Publish_StationWithoutMeter_DevicesListsOnlyController()
    {
        Publisher.Publish(St002, Reading(St002, T0), new StationPublishState());

        var json = Json(Assert.Single(Drain()));
        Assert.Equal("石门镇", (string?)json["site"]);
        Assert.Equal("""{"controller":"good"}""", json["devices"]!.ToJsonString());
        Assert.Equal(QuantityCount(St002), Values(json).Count);
    }
}
