using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Irrigation.Server.Observability;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// This instance's share of the telemetry: one durable pull consumer with explicit acknowledgement on the MQTT layer's
/// QoS 1 stream, shared by every instance (the cluster hands each message to one of them). A message is acknowledged
/// only once its batch is durable; one that an instance took and never acknowledged (it died, or its batch never became
/// durable) goes to another instance after <see cref="SharedStreamOptions.AckWait"/>. Duplicates are harmless: a point
/// is keyed by station, series and timestamp.
/// </summary>
internal sealed class JetStreamTelemetryInbox : ITelemetryInbox
{
    private readonly SharedStreamConnection _connection;
    private readonly SharedStreamOptions _options;
    private readonly string _filter;
    private readonly ILogger<JetStreamTelemetryInbox> _logger;
    private readonly Channel<MqttReceivedMessage> _messages;
    private readonly Counter<long> _repulls;
    private Task? _pump;

    public JetStreamTelemetryInbox(SharedStreamConnection connection, IOptions<SharedStreamOptions> options, IOptions<ServerMqttOptions> mqtt, IOptions<SiteOptions> site, IMeterFactory meters, ILogger<JetStreamTelemetryInbox> logger)
    {
        _repulls = ServerMeters.Create(meters).CreateCounter<long>("irrigation_shared_stream_repulls",
            description: "Pulls the shared consumer had to start again, by reason (heartbeat_missed: its leader's node was lost with the pull; leader_changed).");
        _connection = connection;
        _options = options.Value;
        _filter = _options.SubjectPrefix + MqttSubjects.FromTopic(Topics.AllTelemetry(site.Value.TopicRoot)).Replace('+', '*');
        _logger = logger;
        _messages = Channel.CreateBounded<MqttReceivedMessage>(new BoundedChannelOptions(mqtt.Value.InboundCapacity) { SingleReader = true, SingleWriter = true });
    }

    public string Description => $"JetStream {_options.Stream} {_filter} (shared consumer {_options.Consumer})";

    public bool IsConnected => _connection.IsConnected;

    public bool SeesWholeStream => false;

    /// <summary>True once the shared consumer exists and while the connection is up (the consumer is durable).</summary>
    public bool Subscribed => _pump is not null && _connection.IsConnected;

    public string? Broker => _connection.IsConnected ? _connection.Node : null;

    public ChannelReader<MqttReceivedMessage> Messages => _messages.Reader;

    public async Task ConnectAsync(CancellationToken stoppingToken)
    {
        var consumer = await _connection.ConsumerAsync(ConsumerConfig(), stoppingToken);
        _pump ??= Task.Run(() => PumpAsync(consumer, stoppingToken), CancellationToken.None);
    }

    internal ConsumerConfig ConsumerConfig() => new(_options.Consumer)
    {
        DurableName = _options.Consumer,
        FilterSubject = _filter,
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        AckWait = _options.AckWait,
        MaxAckPending = _options.MaxAckPending,
        // Never give up on a message: one that keeps failing is a batch that cannot become durable, which stops acks.
        MaxDeliver = -1,
    };

    /// <summary>
    /// Pulls of <see cref="SharedStreamOptions.PullBatch"/> that live <see cref="SharedStreamOptions.PullExpires"/>, with
    /// idle heartbeats every half of it: two missing heartbeats (the consumer's leader died with the pull request) make
    /// the client pull again — logged and counted, as is a leadership change.
    /// </summary>
    internal NatsJSConsumeOpts ConsumeOptions() => new()
    {
        MaxMsgs = _options.PullBatch,
        Expires = _options.PullExpires,
        IdleHeartbeat = _options.PullExpires / 2,
        NotificationHandler = (notification, _) =>
        {
            switch (notification)
            {
                case NatsJSTimeoutNotification:
                    _repulls.Add(1, new KeyValuePair<string, object?>("reason", "heartbeat_missed"));
                    _logger.LogWarning("Shared stream: no heartbeat from {Consumer}'s leader for {Silence:0.#} s (its node lost?); pulling again.", _options.Consumer, _options.PullExpires.TotalSeconds);
                    break;
                case NatsJSLeadershipChangeNotification:
                    _repulls.Add(1, new KeyValuePair<string, object?>("reason", "leader_changed"));
                    _logger.LogInformation("Shared stream: {Consumer} has a new leader; pulling again.", _options.Consumer);
                    break;
                default:
                    _logger.LogDebug("Shared stream: {Notification}.", notification.GetType().Name);
                    break;
            }

            return Task.CompletedTask;
        },
    };

    /// <summary>Pulls messages into the bounded channel; a full channel stops the pulls (back-pressure).</summary>
    private async Task PumpAsync(INatsJSConsumer? consumer, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                consumer ??= await _connection.ConsumerAsync(ConsumerConfig(), stoppingToken);
                try
                {
                    await foreach (var message in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default, ConsumeOptions(), stoppingToken))
                    {
                        await _messages.Writer.WriteAsync(Received(message), stoppingToken);
                        delay = TimeSpan.FromSeconds(1);
                    }
                }
                catch (Exception ex) when (ex is NatsException or NatsJSException or TimeoutException)
                {
                    // The consumer vanished (deleted, or lost with its stream's leader) or the cluster cannot answer: create it
                    // again. Whatever this instance held unacknowledged goes to an instance after AckWait.
                    _logger.LogWarning("Shared stream: consuming {Consumer} stopped ({Reason}); again in {Delay:0} s.", _options.Consumer, ex.Message, delay.TotalSeconds);
                    consumer = null;
                    await Task.Delay(delay, stoppingToken);
                    delay = TimeSpan.FromSeconds(Math.Min(10, delay.TotalSeconds * 2));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Shared stream: stopping; unacknowledged messages go to the other instances after AckWait.");
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    private MqttReceivedMessage Received(INatsJSMsg<byte[]> message) => new(
        MqttSubjects.ToTopic(message.Subject, _options.SubjectPrefix) ?? message.Subject, message.Data ?? [], MqttQualityOfService.AtLeastOnce,
        retain: false, duplicate: message.Metadata is { NumDelivered: > 1 }, packetId: 0, connectionGeneration: 0, delivery: null,
        ack: (_, ct) => message.AckAsync(cancellationToken: ct));

    public async Task AckAsync(IReadOnlyList<MqttReceivedMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            try
            {
                await message.AckAsync(cancellationToken);
            }
            catch (NatsException ex)
            {
                // Not acknowledged: the cluster gives the message again after AckWait (a duplicate, harmless).
                _logger.LogDebug("Shared stream: acknowledgement not sent ({Reason}).", ex.Message);
            }
        }
    }
}
