using System.Buffers;
using System.Threading.Channels;
using Irrigation.Mqtt.Formatter;
using Irrigation.Mqtt.Packets;
using Microsoft.Extensions.Logging;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// The receive path: one loop per connection reads whole packets and dispatches them. PUBLISH goes into the bounded
/// message channel with <c>await WriteAsync</c>, so while the application is behind, the socket is not read and
/// the broker's queue holds the rest. Inbound QoS 2 (if a filter asked for it) is handled as receiver (§4.3.3,
/// method B): the id is remembered from PUBREC to PUBREL so a resent PUBLISH is not delivered twice.
/// </summary>
public sealed partial class MqttClient
{
    private async Task<ConnectionEnd> ReceiveLoopAsync(MqttConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var packet = await connection.ReadPacketAsync(_options.MaxPacketSize, cancellationToken);
                if (packet is null)
                    return new ConnectionEnd("the broker closed the connection");
                await HandleIncomingAsync(connection, packet, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ConnectionEnd("stopped");
        }
        catch (ChannelClosedException)
        {
            return new ConnectionEnd("the client is stopping");
        }
        catch (MqttProtocolException ex)
        {
            Counters.OnProtocolError();
            _logger.LogWarning("MQTT {Endpoint} ({ClientId}): protocol violation by the broker, closing the connection: {Violation}", _endpoint, _options.ClientId, ex.Message);
            return new ConnectionEnd($"protocol violation: {ex.Message}", Warned: true);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            return new ConnectionEnd($"connection failed: {ex.Message}");
        }
    }

    private async ValueTask HandleIncomingAsync(MqttConnection connection, MqttPacket packet, CancellationToken cancellationToken)
    {
        switch (packet)
        {
            case MqttPublishPacket publish:
                await DeliverAsync(connection, publish, cancellationToken);
                break;
            case MqttPubAckPacket pubAck:
                CompleteInflight(pubAck.PacketId);
                break;
            case MqttPubRelPacket pubRel:
                lock (_sessionLock)
                    _exactlyOnceReceived.Remove(pubRel.PacketId);
                await connection.SendAsync(new MqttPubCompPacket(pubRel.PacketId), cancellationToken);
                break;
            case MqttSubAckPacket or MqttUnsubAckPacket:
                CompleteRequest(packet);
                break;
            case MqttPingRespPacket:
                break; // reading it moved LastReceivedTimestamp, which is all keep-alive needs
            default:
                // CONNACK twice, PUBREC/PUBCOMP for QoS 2 we never send, or a client-to-server packet.
                throw new MqttProtocolException($"unexpected {packet.Type.SpecName()} packet from the broker");
        }
    }

    private async ValueTask DeliverAsync(MqttConnection connection, MqttPublishPacket publish, CancellationToken cancellationToken)
    {
        if (publish.QualityOfService == MqttQualityOfService.ExactlyOnce)
        {
            bool alreadyReceived;
            lock (_sessionLock)
                alreadyReceived = _exactlyOnceReceived.Contains(publish.PacketId);
            if (alreadyReceived)
            {
                await connection.SendAsync(new MqttPubRecPacket(publish.PacketId), cancellationToken);
                return;
            }
        }

        var manual = _options.ManualAck && publish.QualityOfService != MqttQualityOfService.AtMostOnce;
        var message = new MqttReceivedMessage(publish.Topic, publish.Payload, publish.QualityOfService, publish.Retain, publish.Duplicate, publish.PacketId, connection.Generation, manual ? _manualAck : null);
        if (!_inbound.Writer.TryWrite(message))
        {
            connection.ReceiveBlocked = true;
            try
            {
                await _inbound.Writer.WriteAsync(message, cancellationToken);
            }
            finally
            {
                connection.ReceiveBlocked = false;
            }
        }

        Counters.OnReceived();
        if (publish.QualityOfService != MqttQualityOfService.AtMostOnce && !_options.ManualAck)
            await SendAckAsync(connection, publish.QualityOfService, publish.PacketId, cancellationToken);
    }

    /// <summary><see cref="MqttReceivedMessage.AckAsync"/> with ManualAck: PUBACK (QoS 1) or PUBREC (QoS 2) on the connection that delivered it.</summary>
    private async ValueTask AckReceivedAsync(MqttReceivedMessage message, CancellationToken cancellationToken)
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is null || connection.Generation != message.ConnectionGeneration)
        {
            _logger.LogDebug("MQTT {Endpoint}: ack for packet id {PacketId} of connection {Generation} dropped (now {Current}); the broker redelivers it.", _endpoint, message.PacketId, message.ConnectionGeneration, connection?.Generation);
            return;
        }

        try
        {
            await SendAckAsync(connection, message.QualityOfService, message.PacketId, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            _logger.LogDebug(ex, "MQTT {Endpoint}: ack for packet id {PacketId} lost with the connection; the broker redelivers it.", _endpoint, message.PacketId);
        }
    }

    private const int AcksPerWrite = 4096;

    /// <inheritdoc />
    public async Task AckAsync(IReadOnlyList<MqttReceivedMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var connection = Volatile.Read(ref _connection);
        ArrayBufferWriter<byte>? buffer = null;
        int pending = 0, stale = 0;
        try
        {
            foreach (var message in messages)
            {
                if (!message.NeedsAck)
                    continue;
                if (connection is null || connection.Generation != message.ConnectionGeneration)
                {
                    stale++;
                    continue;
                }

                if (message.QualityOfService == MqttQualityOfService.ExactlyOnce)
                {
                    // PUBREC keeps its own bookkeeping; write what is queued first so the order holds.
                    pending = await FlushAcksAsync(connection, buffer, pending, cancellationToken);
                    await SendAckAsync(connection, message.QualityOfService, message.PacketId, cancellationToken);
                    continue;
                }

                buffer ??= new ArrayBufferWriter<byte>(Math.Min(messages.Count, AcksPerWrite) * 4);
                MqttPacketFormatter.WritePubAck(message.PacketId, buffer);
                if (++pending == AcksPerWrite)
                    pending = await FlushAcksAsync(connection, buffer, pending, cancellationToken);
            }

            await FlushAcksAsync(connection, buffer, pending, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            _logger.LogDebug(ex, "MQTT {Endpoint}: acks lost with the connection; the broker redelivers those messages.", _endpoint);
        }

        if (stale > 0)
            _logger.LogDebug("MQTT {Endpoint}: {Count} ack(s) for an earlier connection dropped; the broker redelivers those messages.", _endpoint, stale);
    }

    private async ValueTask<int> FlushAcksAsync(MqttConnection? connection, ArrayBufferWriter<byte>? buffer, int pending, CancellationToken cancellationToken)
    {
        if (pending == 0 || buffer is null || connection is null)
            return 0;
        await connection.SendAsync(buffer.WrittenMemory, cancellationToken);
        buffer.ResetWrittenCount();
        Counters.OnAcked(pending);
        return 0;
    }

    private async ValueTask SendAckAsync(MqttConnection connection, MqttQualityOfService qos, ushort packetId, CancellationToken cancellationToken)
    {
        if (qos == MqttQualityOfService.ExactlyOnce)
        {
            lock (_sessionLock)
                _exactlyOnceReceived.Add(packetId);
            await connection.SendAsync(new MqttPubRecPacket(packetId), cancellationToken);
        }
        else
        {
            await connection.SendAsync(new MqttPubAckPacket(packetId), cancellationToken);
        }

        Counters.OnAcked();
    }
}
