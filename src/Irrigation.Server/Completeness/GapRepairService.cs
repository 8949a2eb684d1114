using System.Diagnostics.Metrics;
using System.Text;
using Irrigation.Contracts;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Write;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Configuration;
using Irrigation.Server.Http;
using Irrigation.Server.Messaging;
using Irrigation.Server.Observability;
using Irrigation.Server.Storage;
using Microsoft.Extensions.Options;

using Irrigation.Server.Leadership;

namespace Irrigation.Server.Completeness;

/// <summary>
/// End-to-end gap repair (docs/mqtt.md "Gap repair"): every <see cref="CompletenessOptions.CheckInterval"/> asks the
/// gateways for the gaps the <see cref="SequenceTracker"/> found, applies their answers (what a gateway's history lacks
/// becomes recorded loss: SQLite, the <c>data_loss</c> measurement in InfluxDB, the log and a metric) and saves the
/// tracking state, which it also saves on the way out.
/// </summary>
public sealed class GapRepairService : BackgroundService
{
    private readonly CompletenessOptions _options;
    private readonly ServerMqttOptions _mqttOptions;
    private readonly string _topicRoot;
    private readonly SequenceTracker _tracker;
    private readonly SequenceStore _store;
    private readonly IMqttClient _mqtt;
    private readonly EventPointWriter _events;
    private readonly ILogger<GapRepairService> _logger;
    private readonly InstanceLeadership _leadership;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _malformed;

    public GapRepairService(
        IOptions<CompletenessOptions> options, IOptions<ServerMqttOptions> mqttOptions, IOptions<SiteOptions> site, SequenceTracker tracker, SequenceStore store,
        MqttSession<GapRepairService> mqtt, EventPointWriter events, IMeterFactory meters, ILogger<GapRepairService> logger, InstanceLeadership leadership)
    {
        ArgumentNullException.ThrowIfNull(mqtt);
        _options = options.Value;
        _mqttOptions = mqttOptions.Value;
        _topicRoot = site.Value.TopicRoot;
        _tracker = tracker;
        _store = store;
        _mqtt = mqtt.Client;
        _events = events;
        _logger = logger;
        _leadership = leadership;
        var meter = ServerMeters.Create(meters);
        _requests = meter.CreateCounter<long>("irrigation_repair_requests", description: "Repair requests sent to gateways.");
        _malformed = meter.CreateCounter<long>("irrigation_repair_results_malformed", description: "Repair results that could not be read.");
        meter.CreateObservableCounter("irrigation_telemetry_repaired_messages", () => tracker.RepairedTotal, description: "Telemetry messages stored into a gap after the server asked for them.");
        meter.CreateObservableCounter("irrigation_telemetry_lost_messages", () => tracker.LostTotal, description: "Telemetry sequence numbers recorded as lost (not in the gateway's history).");
        meter.CreateObservableGauge("irrigation_telemetry_gap_messages", tracker.OpenMessages, description: "Telemetry sequence numbers in open gaps, waiting for repair.");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
            return;
        if (_mqttOptions.SharedGroup.Length > 0)
        {
            // Each instance sees only its share of the stream: every instance would see gaps that are none.
            _logger.LogWarning("Gap repair is off: ingestion shares the telemetry in group {Group}, so no instance sees a whole sequence.", _mqttOptions.SharedGroup);
            return;
        }

        await BrokerConnection.ConnectAsync(_mqtt, [new MqttTopicFilter(Topics.AllRepairResults(_topicRoot), MqttQualityOfService.AtLeastOnce)], _mqttOptions, _logger, "Repair", stoppingToken);
        var results = BrokerConnection.ReadAsync(_mqtt, message => HandleResult(message.Topic, message.Payload.Span), stoppingToken);
        using var timer = new PeriodicTimer(_options.CheckInterval);
        try
        {
            while (await Ticks.NextAsync(timer, stoppingToken))
            {
                // Every instance tracks the whole stream; only the leading one asks gateways and records what it learnt.
                if (!_leadership.IsLeader)
                    continue;
                await RequestDueAsync(stoppingToken);
                Save();
            }
        }
        finally
        {
            if (_leadership.IsLeader)
                Save();
            await results;
        }
    }

    private async Task RequestDueAsync(CancellationToken stoppingToken)
    {
        foreach (var due in _tracker.TakeDue())
        {
            var gaps = due.Request.Ranges.Sum(r => r.Count);
            _logger.LogInformation("Gap repair {Id}: asking {Gateway} for {Count} message(s) of {Station} (epoch {Epoch}) in {Ranges} range(s), from {From}.",
                due.Request.Id, due.Gateway, gaps, due.Request.Station, due.Request.Epoch, due.Request.Ranges.Count, due.Request.Ranges[0].From);
            try
            {
                // Superseded by the next request: a gateway offline for a day must not find a day of requests waiting (MQTT 5 expiry).
                var request = new MqttApplicationMessage(Topics.RepairRequest(_topicRoot, due.Gateway), RepairPayload.Write(due.Request), MqttQualityOfService.AtLeastOnce) { Expiry = _options.RetryInterval };
                await _mqtt.PublishAsync(request, stoppingToken);
                _requests.Add(1);
            }
            catch (MqttClientException ex)
            {
                _logger.LogWarning("Gap repair {Id} not sent ({Reason}); asked again after {Retry}.", due.Request.Id, ex.Message, _options.RetryInterval);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Applies a gateway's answer. Never throws on bad input: a malformed result is counted and logged.</summary>
    internal void HandleResult(string topic, ReadOnlySpan<byte> payload)
    {
        if (!RepairPayload.TryRead(payload, out RepairResultMessage? result, out var error))
        {
            _malformed.Add(1);
            _logger.LogWarning("Malformed repair result on {Topic} ({Error}): {Sample}", topic, error, Encoding.UTF8.GetString(payload[..Math.Min(payload.Length, 200)]));
            return;
        }

        if (result!.Reason == RepairReasons.UnknownStation)
            _logger.LogWarning("Gap repair {Id}: gateway {Gateway} does not have station {Station}; the server's station list names the wrong gateway.", result.Id, result.Gateway, result.Station);
        var losses = _tracker.RecordMissing(result);
        _logger.LogInformation("Gap repair {Id}: {Gateway} queued {Count} message(s) of {Station} again; {Lost} no longer in its history.",
            result.Id, result.Gateway, result.Republished, result.Station, losses.Sum(l => l.Messages));
    }

    private void Save()
    {
        var losses = _tracker.TakeLosses();
        var lastMs = 0L;
        foreach (var loss in losses)
        {
            lastMs = Math.Max(loss.RecordedAtMs, lastMs + 1); // one point per range: same station and time would overwrite
            _logger.LogWarning("Data loss: {Station} sequence {From}..{To} ({Count} message(s), epoch {Epoch}, gateway {Gateway}): {Reason}.",
                loss.Station, loss.Range.From, loss.Range.To, loss.Messages, loss.Epoch, loss.Gateway, loss.Reason);
            var point = PointData.Create(InfluxSchema.DataLossMeasurement).Tag("station", loss.Station).Tag("reason", loss.Reason)
                .Field("messages", loss.Messages).Field("from_seq", loss.Range.From).Field("to_seq", loss.Range.To).Field("epoch", loss.Epoch)
                .Timestamp(lastMs);
            if (loss.Gateway is not null)
                point = point.Tag("gateway", loss.Gateway);
            _events.Enqueue(point, _logger);
        }

        try
        {
            _store.Save(_tracker.TakeDirty(), losses);
        }
        catch (System.Data.Common.DbException ex)
        {
            _logger.LogError("Completeness state not saved ({Reason}); the gaps since the last save are asked for again after a restart.", ex.Message);
        }
    }
}
