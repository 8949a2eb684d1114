using System.Buffers;
using System.Threading.Channels;
using Irrigation.Mqtt.Formatter;
using Irrigation.Mqtt.Topics;
using Microsoft.Extensions.Logging;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// The publish path (§4.3.1, §4.3.2, §4.4): a bounded outbound queue, a send loop that writes in batches and keeps
/// at most MaxInflight QoS 1 publishes unacknowledged, and the resend of those with DUP after a reconnect.
/// </summary>
public sealed partial class MqttClient
{
    /// <summary>The send loop writes up to this many bytes of queued publishes per socket write.</summary>
    private const int SendBatchBytes = 64 * 1024;

    public async Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.QualityOfService == MqttQualityOfService.ExactlyOnce)
            throw new NotSupportedException("QoS 2 (exactly once) publishing is not implemented by this client; publish with QoS 1 and let the consumer drop duplicates.");
        if (message.QualityOfService is not (MqttQualityOfService.AtMostOnce or MqttQualityOfService.AtLeastOnce))
            throw new ArgumentException($"QoS {(byte)message.QualityOfService} does not exist.", nameof(message));
        if (!MqttTopicFilterMatcher.IsValidTopicName(message.Topic))
            throw new ArgumentException($"\"{message.Topic}\" is not a valid topic name: non-empty, no '+' or '#' (§4.7.3, §3.3.2.1).", nameof(message));

        var pending = new PendingPublish(message) { PacketId = 1 };
        _ = MqttPacketFormatter.GetRemainingLength(pending.ToPacket(duplicate: false)); // throws for a topic or payload MQTT cannot carry
        pending.PacketId = 0;

        try
        {
            await _outbound.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new MqttClientException("The client is stopped; nothing more can be published.", ex);
        }

        // Cancelling only stops the wait: a queued message may still be sent.
        await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task<ConnectionEnd> SendLoopAsync(MqttConnection connection, MqttTopicFilter[] resubscribe, CancellationToken cancellationToken)
    {
        var batch = new ArrayBufferWriter<byte>(SendBatchBytes + 1024);
        var atMostOnce = new List<PendingPublish>();
        try
        {
            await ResubscribeAsync(connection, resubscribe, cancellationToken);
            await ResendInflightAsync(connection, batch, cancellationToken);
            while (await _outbound.Reader.WaitToReadAsync(cancellationToken))
            {
                batch.ResetWrittenCount();
                atMostOnce.Clear();
                while (batch.WrittenCount < SendBatchBytes && _outbound.Reader.TryPeek(out var next))
                {
                    var needsSlot = next.Message.QualityOfService == MqttQualityOfService.AtLeastOnce;
                    if (needsSlot && !_inflightSlots.Wait(0, CancellationToken.None))
                    {
                        if (batch.WrittenCount > 0)
                            break; // write what is ready, then wait for a PUBACK to free a slot
                        await _inflightSlots.WaitAsync(cancellationToken);
                    }

                    // The peeked item is still first: this loop is the channel's only reader.
                    if (!_outbound.Reader.TryRead(out next))
                    {
                        if (needsSlot)
                            _inflightSlots.Release();
                        break;
                    }

                    if (needsSlot)
                        RegisterInflight(next);
                    else
                        atMostOnce.Add(next);
                    MqttPacketFormatter.Write(next.ToPacket(duplicate: false), batch);
                }

                if (batch.WrittenCount > 0)
                    await connection.SendAsync(batch.WrittenMemory, cancellationToken);
                foreach (var sent in atMostOnce)
                {
                    Counters.OnPublished();
                    sent.Completion.TrySetResult();
                }

                atMostOnce.Clear();
            }

            return new ConnectionEnd("the client is stopping");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            FailAtMostOnce(atMostOnce, "the client stopped");
            return new ConnectionEnd("stopped");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            FailAtMostOnce(atMostOnce, ex.Message);
            return new ConnectionEnd($"send failed: {ex.Message}");
        }
    }

    /// <summary>Gives a QoS 1 publish its packet id and order; from now on a reconnect resends it until PUBACK.</summary>
    private void RegisterInflight(PendingPublish pending)
    {
        pending.PacketId = _packetIds.Allocate();
        lock (_sessionLock)
        {
            pending.Sequence = ++_sequence;
            _inflight.Add(pending.PacketId, pending);
        }

        Counters.OnPublished();
    }

    /// <summary>§4.4: after a reconnect, every unacknowledged QoS 1 PUBLISH again, in the original order, DUP=1, same packet id.</summary>
    private async Task ResendInflightAsync(MqttConnection connection, ArrayBufferWriter<byte> batch, CancellationToken cancellationToken)
    {
        PendingPublish[] unacknowledged;
        lock (_sessionLock)
            unacknowledged = [.. _inflight.Values.OrderBy(p => p.Sequence)];
        if (unacknowledged.Length == 0)
            return;

        _logger.LogInformation("MQTT {Endpoint} ({ClientId}): resending {Count} unacknowledged QoS 1 publishes with DUP.", _endpoint, _options.ClientId, unacknowledged.Length);
        batch.ResetWrittenCount();
        foreach (var pending in unacknowledged)
        {
            MqttPacketFormatter.Write(pending.ToPacket(duplicate: true), batch);
            Counters.OnResent();
            if (batch.WrittenCount >= SendBatchBytes)
            {
                await connection.SendAsync(batch.WrittenMemory, cancellationToken);
                batch.ResetWrittenCount();
            }
        }

        if (batch.WrittenCount > 0)
            await connection.SendAsync(batch.WrittenMemory, cancellationToken);
    }

    /// <summary>PUBACK (§4.3.2): the publish is done; its packet id and in-flight slot are free again.</summary>
    private void CompleteInflight(ushort packetId)
    {
        PendingPublish? pending;
        lock (_sessionLock)
        {
            if (!_inflight.Remove(packetId, out pending))
            {
                _logger.LogDebug("MQTT {Endpoint}: PUBACK for packet id {PacketId}, which is not in flight (a duplicate after a resend).", _endpoint, packetId);
                return;
            }
        }

        _packetIds.Release(packetId);
        _inflightSlots.Release();
        Counters.OnPublishAcked();
        pending.Completion.TrySetResult();
    }

    private static void FailAtMostOnce(List<PendingPublish> unsent, string reason)
    {
        foreach (var pending in unsent)
            pending.Completion.TrySetException(new MqttClientException($"The connection was lost before the QoS 0 message to \"{pending.Message.Topic}\" was written: {reason}"));
        unsent.Clear();
    }
}
