using Irrigation.Mqtt.Packets;
using Irrigation.Mqtt.Topics;
using Microsoft.Extensions.Logging;

namespace Irrigation.Mqtt.Client;

/// <summary>A SUBSCRIBE or UNSUBSCRIBE waiting for its SUBACK / UNSUBACK (§3.8–§3.11).</summary>
internal sealed class PendingRequest(MqttPacketType expected, int filterCount)
{
    public MqttPacketType Expected { get; } = expected;

    public int FilterCount { get; } = filterCount;

    public TaskCompletionSource<MqttPacket> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Subscriptions: remembered filters (resubscribed on every reconnect) and the request/answer matching.</summary>
public sealed partial class MqttClient
{
    public async Task<IReadOnlyList<MqttSubscribeResult>> SubscribeAsync(IReadOnlyList<MqttTopicFilter> filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Count == 0)
            throw new ArgumentException("SUBSCRIBE needs at least one filter (§3.8.3).", nameof(filters));
        foreach (var filter in filters)
        {
            if (!MqttTopicFilterMatcher.IsValidFilter(filter.Filter))
                throw new ArgumentException($"\"{filter.Filter}\" is not a valid topic filter (§4.7.1).", nameof(filters));
            if ((byte)filter.QualityOfService > 2)
                throw new ArgumentException($"QoS {(byte)filter.QualityOfService} does not exist.", nameof(filters));
        }

        ThrowIfStopped();
        MqttConnection? connection;
        lock (_sessionLock)
        {
            foreach (var filter in filters)
            {
                _subscriptions.RemoveAll(s => s.Filter == filter.Filter);
                _subscriptions.Add(filter);
            }

            connection = Volatile.Read(ref _connection); // under the lock: either this connection resubscribes them, or we send
        }

        var answer = (MqttSubAckPacket)await RequestAsync(connection, MqttPacketType.SubAck, filters.Count, id => new MqttSubscribePacket(id, [.. filters]), cancellationToken);
        var results = filters.Select((filter, i) => new MqttSubscribeResult(filter.Filter, answer.ReturnCodes[i])).ToArray();
        foreach (var failed in results.Where(r => !r.Succeeded))
        {
            _logger.LogWarning("MQTT {Endpoint} ({ClientId}): the broker refused the subscription to \"{Filter}\" (SUBACK 0x80).", _endpoint, _options.ClientId, failed.Filter);
            lock (_sessionLock)
                _subscriptions.RemoveAll(s => s.Filter == failed.Filter);
        }

        return results;
    }

    public async Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Count == 0)
            throw new ArgumentException("UNSUBSCRIBE needs at least one filter (§3.10.3).", nameof(filters));
        foreach (var filter in filters)
        {
            if (!MqttTopicFilterMatcher.IsValidFilter(filter))
                throw new ArgumentException($"\"{filter}\" is not a valid topic filter (§4.7.1).", nameof(filters));
        }

        ThrowIfStopped();
        MqttConnection? connection;
        lock (_sessionLock)
        {
            _subscriptions.RemoveAll(s => filters.Contains(s.Filter));
            connection = Volatile.Read(ref _connection);
        }

        await RequestAsync(connection, MqttPacketType.UnsubAck, filters.Count, id => new MqttUnsubscribePacket(id, [.. filters]), cancellationToken);
    }

    /// <summary>Sends a request on the current connection and waits up to RequestTimeout for its answer.</summary>
    private async Task<MqttPacket> RequestAsync(MqttConnection? connection, MqttPacketType answerType, int filterCount, Func<ushort, MqttPacket> build, CancellationToken cancellationToken)
    {
        if (connection is null)
            throw new MqttClientException($"Not connected to {_endpoint}; subscriptions are remembered and sent again when the client reconnects.");
        var request = new PendingRequest(answerType, filterCount);
        var packetId = StartRequest(request);
        try
        {
            await connection.SendAsync(build(packetId), cancellationToken);
            return await request.Completion.Task.WaitAsync(_options.RequestTimeout, _time, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new MqttClientException($"No {answerType.SpecName()} from {_endpoint} within {_options.RequestTimeout.TotalSeconds:0.###} s.", ex);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            throw new MqttClientException($"The connection to {_endpoint} was lost before the {answerType.SpecName()}: {ex.Message}", ex);
        }
        finally
        {
            EndRequest(packetId);
        }
    }

    /// <summary>§3.8.4: sent first on every connection, even with a session present (harmless, and robust if the broker lost it).</summary>
    private async Task ResubscribeAsync(MqttConnection connection, MqttTopicFilter[] filters, CancellationToken cancellationToken)
    {
        if (filters.Length == 0)
            return;

        var request = new PendingRequest(MqttPacketType.SubAck, filters.Length);
        var packetId = StartRequest(request);
        try
        {
            await connection.SendAsync(new MqttSubscribePacket(packetId, filters), cancellationToken);
        }
        catch
        {
            EndRequest(packetId);
            throw;
        }

        _ = ObserveResubscribeAsync(packetId, request, filters);
    }

    private async Task ObserveResubscribeAsync(ushort packetId, PendingRequest request, MqttTopicFilter[] filters)
    {
        try
        {
            var answer = (MqttSubAckPacket)await request.Completion.Task.WaitAsync(_options.RequestTimeout, _time);
            var refused = filters.Where((_, i) => answer.ReturnCodes[i] == MqttSubAckPacket.Failure).Select(f => f.Filter).ToArray();
            if (refused.Length > 0)
                _logger.LogWarning("MQTT {Endpoint} ({ClientId}): the broker refused the resubscription to {Filters}.", _endpoint, _options.ClientId, string.Join(", ", refused));
            else
                _logger.LogDebug("MQTT {Endpoint}: resubscribed {Count} filters.", _endpoint, filters.Length);
        }
        catch (Exception ex) when (ex is TimeoutException or MqttClientException)
        {
            var level = _stop.IsCancellationRequested ? LogLevel.Debug : LogLevel.Warning;
            _logger.Log(level, "MQTT {Endpoint} ({ClientId}): resubscription of {Count} filters not confirmed: {Reason}", _endpoint, _options.ClientId, filters.Length, ex.Message);
        }
        finally
        {
            EndRequest(packetId);
        }
    }

    private ushort StartRequest(PendingRequest request)
    {
        var packetId = _packetIds.Allocate();
        lock (_sessionLock)
            _requests.Add(packetId, request);
        return packetId;
    }

    /// <summary>Only the requester frees the id, so an id is never freed twice or reused while someone waits on it.</summary>
    private void EndRequest(ushort packetId)
    {
        lock (_sessionLock)
            _requests.Remove(packetId);
        _packetIds.Release(packetId);
    }

    /// <summary>Called by the receive loop for SUBACK and UNSUBACK.</summary>
    private void CompleteRequest(MqttPacket answer)
    {
        var packetId = answer is MqttSubAckPacket subAck ? subAck.PacketId : ((MqttUnsubAckPacket)answer).PacketId;
        PendingRequest? request;
        lock (_sessionLock)
            _requests.TryGetValue(packetId, out request);
        if (request is null)
        {
            _logger.LogDebug("MQTT {Endpoint}: {Type} for packet id {PacketId}, which nobody waits for (timed out).", _endpoint, answer.Type.SpecName(), packetId);
            return;
        }

        string? violation = null;
        if (answer.Type != request.Expected)
            violation = $"{answer.Type.SpecName()} answers packet id {packetId}, which expects {request.Expected.SpecName()}";
        else if (answer is MqttSubAckPacket codes && codes.ReturnCodes.Count != request.FilterCount)
            violation = $"SUBACK carries {codes.ReturnCodes.Count} return codes for {request.FilterCount} filters (§3.9.3)";
        if (violation is not null)
        {
            request.Completion.TrySetException(new MqttProtocolException(violation));
            throw new MqttProtocolException(violation);
        }

        request.Completion.TrySetResult(answer);
    }

    private void FailRequests(string reason)
    {
        PendingRequest[] waiting;
        lock (_sessionLock)
            waiting = [.. _requests.Values];
        foreach (var request in waiting)
            request.Completion.TrySetException(new MqttClientException(reason));
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _state) == StateStopped)
            throw new MqttClientException("This client was disconnected or disposed.");
    }
}
