using System.Buffers;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;
using NetMessage = MQTTnet.MqttApplicationMessage;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// Receiving into the bounded channel, acknowledging once the application says so, and publishing across outages.
/// </summary>
public sealed partial class ReconnectingMqttClient
{
    /// <summary>
    /// MQTTnet hands received messages to this handler one at a time and waits for it. While the channel is full the
    /// handler waits too, so no further message is acknowledged (ManualAck) and, with MQTT 5's Receive Maximum, the broker
    /// sends no more than <see cref="MqttClientOptions.InboundCapacity"/> unacknowledged messages: memory stays bounded.
    /// </summary>
    private async Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var application = e.ApplicationMessage;
        var qos = (MqttQualityOfService)application.QualityOfServiceLevel;
        var manual = _options.ManualAck && qos != MqttQualityOfService.AtMostOnce;
        e.AutoAcknowledge = !manual;

        // MQTTnet decodes each payload into an array of its own, so a single segment can be kept without a copy.
        var payload = application.Payload;
        var bytes = payload.IsSingleSegment ? payload.First : payload.ToArray();
        var message = new MqttReceivedMessage(application.Topic, bytes, qos, application.Retain, application.Dup, e.PacketIdentifier, Interlocked.Read(ref _generation), manual ? e : null, manual ? _manualAck : null);
        try
        {
            if (!_inbound.Writer.TryWrite(message))
            {
                Volatile.Write(ref _handlerWaiting, true);
                try
                {
                    await _inbound.Writer.WriteAsync(message, _stop.Token);
                }
                finally
                {
                    Volatile.Write(ref _handlerWaiting, false);
                }
            }

            Counters.OnReceived();
            if (!manual && qos != MqttQualityOfService.AtMostOnce)
                Counters.OnAcked(); // MQTTnet sends the PUBACK as this handler returns
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            // Stopping: not acknowledged, so the broker delivers it again to the next session.
            e.AutoAcknowledge = false;
        }
    }

    /// <summary><see cref="MqttReceivedMessage.AckAsync"/> with ManualAck.</summary>
    private async ValueTask AckOneAsync(MqttReceivedMessage message, CancellationToken cancellationToken)
    {
        await _ackGate.WaitAsync(cancellationToken);
        try
        {
            await SendAckAsync(message, cancellationToken);
        }
        finally
        {
            _ackGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task AckAsync(IReadOnlyList<MqttReceivedMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        await _ackGate.WaitAsync(cancellationToken);
        var stale = 0;
        var stream = _streams.Current;
        stream?.Cork(); // the PUBACKs of the batch leave in one write
        try
        {
            foreach (var message in messages)
            {
                if (message.NeedsAck && !await SendAckAsync(message, cancellationToken))
                    stale++;
            }
        }
        finally
        {
            await UncorkAsync(stream);
            _ackGate.Release();
        }

        if (stale > 0)
            _logger.LogDebug("MQTT {Endpoint}: {Count} ack(s) for an earlier connection dropped; the broker redelivers those messages.", _endpoint, stale);
    }

    /// <summary>Sends the PUBACK (PUBREC for QoS 2) if the connection that delivered the message is still the current one. Call holding the ack gate.</summary>
    private async ValueTask<bool> SendAckAsync(MqttReceivedMessage message, CancellationToken cancellationToken)
    {
        if (message.Delivery is not MqttApplicationMessageReceivedEventArgs delivery || message.ConnectionGeneration != Interlocked.Read(ref _generation) || !_client.IsConnected)
            return false;
        try
        {
            await delivery.AcknowledgeAsync(cancellationToken);
            Counters.OnAcked();
            return true;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or ObjectDisposedException or InvalidOperationException)
        {
            _logger.LogDebug("MQTT {Endpoint}: ack for packet id {PacketId} lost with the connection ({Reason}); the broker redelivers it.", _endpoint, message.PacketId, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// QoS 0 completes when written, QoS 1 when the broker's PUBACK arrives. Publishes are sent in the order of the calls,
    /// at most <see cref="MqttClientOptions.MaxInflight"/> awaiting their PUBACK. While the broker is away they wait for
    /// the reconnect; one cut off by a lost connection is sent again on the next (QoS 1 is at least once: the receiver
    /// may see it twice, and after such a resend later messages may overtake it). A failure reason code in an MQTT 5
    /// PUBACK (e.g. an ACL's NotAuthorized) throws <see cref="MqttPublishRefusedException"/>.
    /// </summary>
    public async Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.QualityOfService == MqttQualityOfService.ExactlyOnce)
            throw new NotSupportedException("QoS 2 is not used: every consumer here is idempotent, so QoS 1 is enough and cheaper.");
        if (string.IsNullOrEmpty(message.Topic) || message.Topic.Contains('+', StringComparison.Ordinal) || message.Topic.Contains('#', StringComparison.Ordinal))
            throw new ArgumentException($"\"{message.Topic}\" is not a topic name (§4.7.3).", nameof(message));
        ThrowIfStopped();
        var pending = new PendingPublish(ToNetMessage(message, _options.Protocol), message.QualityOfService, cancellationToken);
        try
        {
            await _outbound.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (System.Threading.Channels.ChannelClosedException ex)
        {
            throw new MqttClientException("This client was disconnected or disposed.", ex);
        }

        await pending.Completion.Task;
    }

    /// <summary>The one loop that hands publishes to MQTTnet, so they reach the socket in the order they were queued.</summary>
    private async Task SendLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _outbound.Reader.WaitToReadAsync(stoppingToken))
            {
                // A run of queued publishes leaves in as few writes as possible; before any wait the run is sent,
                // so nothing sits in memory while the window or the connection is awaited.
                CoalescingStream? corked = null;
                try
                {
                    while (_outbound.Reader.TryRead(out var pending))
                    {
                        if (pending.CancellationToken.IsCancellationRequested)
                        {
                            pending.Completion.TrySetCanceled(pending.CancellationToken);
                            continue;
                        }

                        if (!_inflight.Wait(0, CancellationToken.None))
                        {
                            corked = await UncorkAsync(corked);
                            await _inflight.WaitAsync(stoppingToken);
                        }

                        Task connected;
                        lock (_lock)
                            connected = _connected.Task;
                        if (!connected.IsCompletedSuccessfully)
                        {
                            corked = await UncorkAsync(corked);
                            await connected.WaitAsync(stoppingToken);
                        }

                        if (corked is null)
                        {
                            corked = _streams.Current;
                            corked?.Cork();
                        }

                        // MQTTnet runs synchronously up to its send lock, which is first come first served: call order is wire order.
                        _ = CompleteAsync(pending, StartPublish(pending), Interlocked.Read(ref _generation));
                    }
                }
                finally
                {
                    await UncorkAsync(corked);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (MqttClientException)
        {
            // the connection will not come back (AutoReconnect off)
        }

        var stopped = new MqttClientException("The client was disconnected before the message was acknowledged.");
        _outbound.Writer.TryComplete();
        while (_outbound.Reader.TryRead(out var left))
            left.Completion.TrySetException(stopped);
    }

    /// <summary>
    /// Hands one publish to MQTTnet. The connection can go between the check above and this call, and MQTTnet then
    /// throws at once rather than in the task: that becomes a faulted task, so the publish is queued again like one
    /// interrupted in flight instead of ending the send loop.
    /// </summary>
    private Task<MqttClientPublishResult> StartPublish(PendingPublish pending)
    {
        try
        {
            return _client.PublishAsync(pending.Message, pending.CancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<MqttClientPublishResult>(ex);
        }
    }

    /// <summary>Sends what a cork gathered; a connection lost meanwhile is the reconnect's business, not the caller's.</summary>
    private async ValueTask<CoalescingStream?> UncorkAsync(CoalescingStream? stream)
    {
        if (stream is null)
            return null;
        try
        {
            await stream.UncorkAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            _logger.LogDebug("MQTT {Endpoint}: a gathered write was lost with the connection ({Reason}); acks are redelivered, publishes sent again.", _endpoint, ex.Message);
        }

        return null;
    }

    private async Task CompleteAsync(PendingPublish pending, Task<MqttClientPublishResult> publishing, long generation)
    {
        try
        {
            var result = pending.QualityOfService == MqttQualityOfService.AtLeastOnce
                ? await AwaitPubAckAsync(pending, publishing, generation)
                : await publishing;
            if (!result.IsSuccess)
            {
                var topic = pending.Message.Topic;
                pending.Completion.TrySetException(new MqttPublishRefusedException(topic, (int)result.ReasonCode, string.IsNullOrEmpty(result.ReasonString) ? result.ReasonCode.ToString() : result.ReasonString));
                return;
            }

            Counters.OnPublished();
            if (pending.QualityOfService == MqttQualityOfService.AtLeastOnce)
                Counters.OnPublishAcked();
            pending.Completion.TrySetResult();
        }
        catch (OperationCanceledException) when (pending.CancellationToken.IsCancellationRequested)
        {
            pending.Completion.TrySetCanceled(pending.CancellationToken);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection went while this was in flight: queue it again for the next connection.
            lock (_lock)
            {
                if (_connected.Task.IsCompletedSuccessfully && !_client.IsConnected)
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (pending.QualityOfService == MqttQualityOfService.AtLeastOnce && Volatile.Read(ref _state) != StateStopped)
            {
                Counters.OnResent();
                _logger.LogDebug("MQTT {Endpoint}: publish to {Topic} interrupted ({Reason}); sending it again after the reconnect.", _endpoint, pending.Message.Topic, ex.Message);
                if (!_outbound.Writer.TryWrite(pending))
                    pending.Completion.TrySetException(new MqttClientException($"The client stopped before the publish to {pending.Message.Topic} was acknowledged.", ex));
            }
            else
            {
                pending.Completion.TrySetException(new MqttClientException($"The publish to {pending.Message.Topic} was lost with the connection: {ex.Message}", ex));
            }
        }
        finally
        {
            _inflight.Release();
        }
    }

    /// <summary>
    /// Waits for a QoS 1 publish's PUBACK. None within <see cref="MqttClientOptions.RequestTimeout"/> means the broker
    /// cannot store the message now (a NATS cluster without a stream leader; a RabbitMQ quorum queue without its
    /// majority kept the connection open and silent for more than 30 s): the connection is dropped, so the publish and
    /// everything behind it goes again on the next connection, to the next broker. While the application is behind
    /// reading, the PUBACK may lie unread in the socket, so the wait goes on.
    /// </summary>
    private async Task<MqttClientPublishResult> AwaitPubAckAsync(PendingPublish pending, Task<MqttClientPublishResult> publishing, long generation)
    {
        while (true)
        {
            try
            {
                return await publishing.WaitAsync(_options.RequestTimeout, _time, CancellationToken.None);
            }
            catch (TimeoutException) when (!publishing.IsCompleted)
            {
                if (ReadingHeldBack)
                    continue;
                _ = publishing.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                DropConnection(generation, $"no PUBACK for a QoS 1 publish to {pending.Message.Topic} within {_options.RequestTimeout.TotalSeconds:0.###} s");
                throw new MqttCommunicationTimedOutException();
            }
        }
    }

    /// <summary>Drops connection <paramref name="generation"/> if it is still the current one, once; MQTTnet then reports it lost.</summary>
    private void DropConnection(long generation, string reason)
    {
        if (Interlocked.Read(ref _generation) != generation || Interlocked.Exchange(ref _droppedGeneration, generation) == generation)
            return;
        if (_streams.Current is not { } stream)
            return;
        Counters.OnPubAckTimeout();
        _dropReason = reason;
        lock (_lock)
        {
            // Publishes wait for the next connection from now on, not for MQTTnet to notice the close.
            if (_connected.Task.IsCompleted)
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _logger.LogWarning("MQTT {Endpoint} ({ClientId}): {Reason}: dropping the connection; what was not acknowledged is sent again on the next one.", _endpoint, _options.ClientId, reason);
        if (!stream.Abort())
            _dropReason = null; // already closed: that loss is reported with its own reason
    }

    /// <summary>A publish waiting for its turn or its PUBACK.</summary>
    private sealed class PendingPublish(NetMessage message, MqttQualityOfService qualityOfService, CancellationToken cancellationToken)
    {
        public NetMessage Message { get; } = message;

        public MqttQualityOfService QualityOfService { get; } = qualityOfService;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>MQTTnet's message; the expiry only for MQTT 5 — 3.1.1 has no Message Expiry Interval, the receiver's own check is the guard.</summary>
    private static NetMessage ToNetMessage(MqttApplicationMessage message, MqttProtocol protocol)
    {
        var application = new NetMessage
        {
            Topic = message.Topic,
            Payload = new ReadOnlySequence<byte>(message.Payload),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)message.QualityOfService,
            Retain = message.Retain,
        };
        if (message.Expiry is { } expiry && protocol == MqttProtocol.V500)
            application.MessageExpiryInterval = (uint)Math.Clamp(Math.Ceiling(expiry.TotalSeconds), 1, uint.MaxValue);
        return application;
    }
}
