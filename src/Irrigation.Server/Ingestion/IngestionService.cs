using System.Buffers.Binary;
using System.Threading.Channels;
using Irrigation.Contracts;
using Irrigation.Influx.Write;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Irrigation.Server.State;
using Irrigation.Server.Storage;
using Irrigation.Spool;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// The ingestion core: telemetry from its <see cref="ITelemetryInbox"/> (the server's MQTT session with manual acks, or
/// this instance's share of a JetStream consumer) → <see cref="TelemetryDecoder"/> → batches of line protocol → every
/// time-series replica. A message is acknowledged only when its batch is durable on each replica: written to it, or —
/// when it is down or slow — appended to its own on-disk spool, which <see cref="SpoolReplayer"/> drains in order.
/// Memory is bounded (a few pooled batches, a bounded inbox); when a replica's spool is full too, acknowledgements
/// stop, the inbox fills, the client stops reading, and the broker holds the rest. Nothing is dropped for load.
/// </summary>
public sealed partial class IngestionService : BackgroundService
{
    private const int PooledBatches = 3;

    /// <summary>How long a partial batch waits for more messages once the inbox is empty.</summary>
    internal static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(20);

    private readonly IngestOptions _options;
    private readonly string _topicRoot;
    private readonly ITelemetryInbox _inbox;
    private readonly ReplicaSpools _replicas;
    private readonly TelemetryDecoder _decoder;
    private readonly LatestValueCache _cache;
    private readonly IngestionMetrics _counters;
    private readonly ILogger<IngestionService> _logger;
    private readonly Channel<IngestBatch> _full = Channel.CreateBounded<IngestBatch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
    private readonly Channel<IngestBatch> _free = Channel.CreateBounded<IngestBatch>(PooledBatches);
    private readonly SampleLog _samples;
    private readonly ILateTelemetryListener _late;
    private readonly IStoredSequenceListener _sequences;

    public IngestionService(
        IOptions<IngestOptions> options, IOptions<SiteOptions> site,
        ITelemetryInbox inbox, ReplicaSpools replicas, StationRegistry stations, LatestValueCache cache, IngestionMetrics counters,
        ILateTelemetryListener late, IStoredSequenceListener sequences, ILogger<IngestionService> logger)
    {
        ArgumentNullException.ThrowIfNull(inbox);
        _late = late;
        _sequences = sequences;
        _options = options.Value;
        _topicRoot = site.Value.TopicRoot;
        _inbox = inbox;
        _replicas = replicas;
        _cache = cache;
        _counters = counters;
        _logger = logger;
        _decoder = new TelemetryDecoder(stations, cache);
        _samples = new SampleLog(logger);
        for (var i = 0; i < PooledBatches; i++)
            _free.Writer.TryWrite(new IngestBatch(_options.BatchPoints * 200));
    }

    /// <summary>True while the last write to every replica succeeded; a replica whose write failed gets batches in its spool.</summary>
    public bool InfluxHealthy => _replicas.All.All(r => r.Replica.Healthy);

    /// <summary>The replicas written to, each with its spool.</summary>
    public ReplicaSpools Replicas => _replicas;

    /// <summary>True while the ingestion's inbox (MQTT session or shared stream) is connected.</summary>
    public bool MqttConnected => _inbox.IsConnected;

    /// <summary>
    /// True once the inbox subscribed and while that holds on the current connection: after a reconnect, and while a NATS
    /// node refuses an MQTT subscription during a leader election, telemetry may not flow.
    /// </summary>
    public bool MqttSubscribed => _inbox.Subscribed;

    /// <summary>The node the inbox is connected to ("host:port" of an MQTT broker, or a NATS node); null while disconnected.</summary>
    public string? MqttBroker => _inbox.Broker;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ConnectAsync(stoppingToken);
        if (stoppingToken.IsCancellationRequested)
            return;
        var writer = WriteLoopAsync(stoppingToken);
        try
        {
            await ReceiveLoopAsync(stoppingToken);
        }
        finally
        {
            _full.Writer.TryComplete();
            await writer;
        }
    }

    private async Task ConnectAsync(CancellationToken stoppingToken)
    {
        await _inbox.ConnectAsync(stoppingToken);
        if (!stoppingToken.IsCancellationRequested)
            _logger.LogInformation("Ingesting {Inbox} into {Replicas}.", _inbox.Description, string.Join(", ", _replicas.All.Select(r => r.Replica)));
    }

    /// <summary>Decodes messages into the current batch; hands it on when full or when the flush interval passes.</summary>
    private async Task ReceiveLoopAsync(CancellationToken stoppingToken)
    {
        var batch = await _free.Reader.ReadAsync(stoppingToken);
        var flushTicks = (long)(_options.FlushInterval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        var maxBatchBytes = _options.MaxBatchBytes;
        var messages = _inbox.Messages;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (!messages.TryRead(out var message))
                {
                    // Nothing waiting. An empty batch waits for the next message; a partial one lingers briefly for more
                    // and is then written — so a broker that limits unacknowledged messages never stalls ingestion.
                    if (batch.Messages.Count > 0 && System.Diagnostics.Stopwatch.GetTimestamp() - batch.StartedTicks >= flushTicks)
                    {
                        batch = await HandOnAsync(batch, stoppingToken);
                        continue;
                    }

                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    if (batch.Messages.Count > 0)
                        wait.CancelAfter(Linger);
                    try
                    {
                        if (!await messages.WaitToReadAsync(wait.Token))
                            return;
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        batch = await HandOnAsync(batch, stoppingToken);
                    }

                    continue;
                }

                if (batch.Messages.Count == 0)
                    batch.StartedTicks = System.Diagnostics.Stopwatch.GetTimestamp();
                Handle(message, batch);
                batch.Messages.Add(message);
                if (batch.Points >= _options.BatchPoints || batch.Lines.Length >= maxBatchBytes)
                    batch = await HandOnAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Receive loop stopping; {Count} unacknowledged message(s) will be redelivered by the broker.", batch.Messages.Count);
        }
    }

    private async ValueTask<IngestBatch> HandOnAsync(IngestBatch batch, CancellationToken stoppingToken)
    {
        _counters.OnBatchDecoded(batch.Received, batch.Stored);
        await _full.Writer.WriteAsync(batch, stoppingToken);
        return await _free.Reader.ReadAsync(stoppingToken);
    }

    /// <summary>Routes one message: telemetry into the batch, status into the cache. Never throws on bad input.</summary>
    private void Handle(MqttReceivedMessage message, IngestBatch batch)
    {
        var topic = message.Topic;
        var parsed = Topics.TryParse(_topicRoot, topic, out var kind, out var range);
        if (parsed && kind is TopicKind.StationStatus or TopicKind.GatewayStatus)
        {
            ApplyStatus(_cache, _samples, topic, kind, message.Payload.Span);
            return;
        }

        batch.Received++;
        var stationChars = parsed && kind == TopicKind.Telemetry ? topic.AsSpan()[range] : [];
        var result = _decoder.Decode(stationChars, message.Payload.Span, batch.Writer);
        if (!result.Stored)
        {
            _counters.OnDropped(result.Reason);
            _samples.Dropped(result.Reason, topic, message.Payload.Span);
            return;
        }

        batch.Stored++;
        if (result.Epoch.Length > 0)
            batch.Sequences.Add(new StoredSequence(result.Station!, result.Epoch, result.Sequence, result.TimestampMs));
        if (_late.IsLate(result.TimestampMs))
        {
            // A replay comes as a long run from one station: one entry per run, keeping its oldest timestamp.
            var late = batch.Late;
            if (late.Count > 0 && stationChars.SequenceEqual(late[^1].Station))
                late[^1] = (late[^1].Station, Math.Min(late[^1].TimestampMs, result.TimestampMs));
            else
                late.Add((new string(stationChars), result.TimestampMs));
        }
        if (result.BadValues > 0)
        {
            _counters.OnBadValues(result.BadValues);
            _samples.Dropped(DropReason.BadValue, topic, message.Payload.Span);
        }

        batch.Points += result.Points;
        batch.Fields += result.Fields;
    }

    /// <summary>A station's or gateway's (retained) status into the cache; a bad one is sampled to the log, never thrown.</summary>
    internal static void ApplyStatus(LatestValueCache cache, SampleLog samples, string topic, TopicKind kind, ReadOnlySpan<byte> payload)
    {
        // A (retained) bad status must not escape: out of the ingest loop it stopped the server, on every start while it stayed retained.
        if (kind == TopicKind.GatewayStatus)
        {
            if (StatusPayload.TryRead(payload, out GatewayStatusMessage? gateway, out _))
                cache.UpdateGateway(gateway!.Gateway, gateway.State);
            else
                samples.Dropped(DropReason.InvalidJson, topic, payload);
        }
        else if (StatusPayload.TryRead(payload, out StationStatusMessage? status, out _))
        {
            cache.UpdateStatus(status!.Station, status.State, status.Gateway.Length > 0 ? status.Gateway : null, status.SinceMs);
        }
        else
        {
            samples.Dropped(DropReason.InvalidJson, topic, payload);
        }
    }
}
