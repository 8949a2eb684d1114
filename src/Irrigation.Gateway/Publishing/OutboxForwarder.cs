using Irrigation.Gateway.Configuration;
using Irrigation.Mqtt.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Publishing;

/// <summary>
/// Drains the outbox to the broker in order: reads a batch, publishes it at QoS 1 (the client resends across
/// reconnects), commits the batch once every PUBACK is in. While the broker is away it waits and the outbox
/// grows on disk; when it returns the backlog is replayed before newer messages.
/// </summary>
public sealed class OutboxForwarder : BackgroundService
{
    private static readonly TimeSpan FsyncInterval = TimeSpan.FromSeconds(1);

    private readonly Outbox _outbox;
    private readonly IMqttClient _mqtt;
    private readonly GatewayCounters _counters;
    private readonly ILogger<OutboxForwarder> _logger;
    private readonly int _batchSize;

    public OutboxForwarder(Outbox outbox, IMqttClient mqtt, GatewayOptions options, GatewayCounters counters, ILogger<OutboxForwarder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _outbox = outbox;
        _mqtt = mqtt;
        _counters = counters;
        _logger = logger;
        _batchSize = options.Mqtt.MaxInflight;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var flusher = FlushLoopAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _outbox.WaitForDataAsync(stoppingToken);
                while (!_mqtt.IsConnected)
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);

                var batch = _outbox.ReadBatch(_batchSize);
                if (batch.Count == 0)
                    continue;
                try
                {
                    var sends = new List<Task>(batch.Count);
                    foreach (var message in batch)
                    {
                        if (message.Topic.Length > 0)
                            sends.Add(_mqtt.PublishAsync(new MqttApplicationMessage(message.Topic, message.Payload, MqttQualityOfService.AtLeastOnce, message.Retain), stoppingToken));
                    }

                    await Task.WhenAll(sends);
                    _outbox.Commit(batch[^1].Position);
                    _counters.PublishedMessages(sends.Count);
                }
                catch (MqttClientException ex)
                {
                    _logger.LogWarning("Publishing from the outbox failed ({Reason}); {Pending} message(s) stay queued and will be resent.", ex.Message, _outbox.Pending);
                    _outbox.Rewind();
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("Outbox forwarder stopping with {Pending} message(s) queued on disk.", _outbox.Pending);
        }

        await flusher;
    }

    private async Task FlushLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FsyncInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                _outbox.Queue.Flush();
        }
        catch (OperationCanceledException)
        {
            _outbox.Queue.Flush();
        }
    }
}
