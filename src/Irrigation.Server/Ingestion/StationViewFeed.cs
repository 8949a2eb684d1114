using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Irrigation.Server.State;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// With a shared stream each instance stores only its share of the telemetry, yet every instance serves every station:
/// this feed gives the instance the whole picture. Every telemetry message as it passes the cluster feeds the latest
/// values (the station pages, live updates and alarm rules read them) and the completeness tracking: a sequence number
/// counts once it passed, because nats-server acknowledged it to the gateway only once it was in the replicated stream,
/// from which the shared consumer stores it (a message leaves that stream only when an instance acknowledged it
/// durable). Station and gateway status come over the instance's MQTT session (retained, QoS 1).
/// </summary>
internal sealed class StationViewFeed : BackgroundService
{
    private readonly SharedStreamConnection _connection;
    private readonly SharedStreamOptions _options;
    private readonly ServerMqttOptions _mqttOptions;
    private readonly string _topicRoot;
    private readonly string _subject;
    private readonly IMqttClient _mqtt;
    private readonly LatestValueCache _cache;
    private readonly TelemetryDecoder _decoder;
    private readonly IStoredSequenceListener _sequences;
    private readonly SampleLog _samples;
    private readonly ILogger<StationViewFeed> _logger;
    private readonly IngestBatch _scratch = new(64 * 1024);
    private readonly StoredSequence[] _seen = new StoredSequence[1];

    public StationViewFeed(
        SharedStreamConnection connection, IOptions<SharedStreamOptions> options, IOptions<ServerMqttOptions> mqttOptions, IOptions<SiteOptions> site,
        MqttSession<IngestionService> mqtt, StationRegistry stations, LatestValueCache cache, IStoredSequenceListener sequences, ILogger<StationViewFeed> logger)
    {
        _connection = connection;
        _options = options.Value;
        _mqttOptions = mqttOptions.Value;
        _topicRoot = site.Value.TopicRoot;
        _subject = MqttSubjects.FromTopic(Topics.AllTelemetry(_topicRoot)).Replace('+', '*');
        _mqtt = mqtt.Client;
        _cache = cache;
        _decoder = new TelemetryDecoder(stations, cache);
        _sequences = sequences;
        _samples = new SampleLog(logger);
        _logger = logger;
    }

    /// <summary>Messages read from the stream by this feed (metrics and tests).</summary>
    public long Seen { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
            return; // one instance: ingestion's own MQTT session sees everything
        await BrokerConnection.ConnectAsync(_mqtt,
        [
            new MqttTopicFilter(Topics.AllStationStatus(_topicRoot), MqttQualityOfService.AtLeastOnce),
            new MqttTopicFilter(Topics.AllGatewayStatus(_topicRoot), MqttQualityOfService.AtLeastOnce),
        ], _mqttOptions, _logger, "Station status", stoppingToken);
        await Task.WhenAll(ReadStatusAsync(stoppingToken), ReadStreamAsync(stoppingToken));
    }

    private Task ReadStatusAsync(CancellationToken stoppingToken) => BrokerConnection.ReadAsync(_mqtt, message =>
    {
        if (Topics.TryParse(_topicRoot, message.Topic, out var kind, out _) && kind is TopicKind.StationStatus or TopicKind.GatewayStatus)
            IngestionService.ApplyStatus(_cache, _samples, message.Topic, kind, message.Payload.Span);
    }, stoppingToken);

    /// <summary>
    /// Every telemetry message as it passes the cluster: a plain NATS subscription to the subject nats-server gives the
    /// MQTT topic. Not a second JetStream consumer: on nats-server 2.9.10 a second consumer on the MQTT layer's
    /// interest-retention stream made acknowledged messages vanish before the shared consumer got them (docs/scale-out.md).
    /// At most once: a message missed while this instance reconnects is a false gap, which gap repair asks of the
    /// gateway again (a duplicate, harmless), never a loss.
    /// </summary>
    private async Task ReadStreamAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _connection.ConnectAsync(stoppingToken);
                _logger.LogInformation("Shared stream: this instance views {Subject} (latest values, completeness).", _subject);
                try
                {
                    await foreach (var message in _connection.Connection.SubscribeAsync(_subject, serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: stoppingToken))
                    {
                        View(message.Subject, message.Data ?? []);
                        delay = TimeSpan.FromSeconds(1);
                    }
                }
                catch (NatsException ex)
                {
                    _logger.LogWarning("Shared stream: view of {Subject} stopped ({Reason}); again in {Delay:0} s.", _subject, ex.Message, delay.TotalSeconds);
                    await Task.Delay(delay, stoppingToken);
                    delay = TimeSpan.FromSeconds(Math.Min(10, delay.TotalSeconds * 2));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Shared stream: view stopping.");
        }
    }

    /// <summary>Decodes one message as ingestion would (same drops), into the cache and the seen sequence numbers.</summary>
    private void View(string subject, byte[] payload)
    {
        Seen++;
        var topic = MqttSubjects.ToTopic(subject, "") ?? subject;
        var stationChars = Topics.TryParse(_topicRoot, topic, out var kind, out var range) && kind == TopicKind.Telemetry ? topic.AsSpan()[range] : [];
        var result = _decoder.Decode(stationChars, payload, _scratch.Writer);
        _scratch.Reset();
        if (result.Stored && result.Epoch.Length > 0)
        {
            _seen[0] = new StoredSequence(result.Station!, result.Epoch, result.Sequence, result.TimestampMs);
            _sequences.Stored(_seen);
        }
    }
}
