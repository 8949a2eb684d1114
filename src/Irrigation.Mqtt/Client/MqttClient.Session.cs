using Irrigation.Mqtt.Packets;
using Microsoft.Extensions.Logging;

namespace Irrigation.Mqtt.Client;

/// <summary>Why a connection's loops ended; <see cref="Warned"/> when the reason was already logged as a warning.</summary>
internal readonly record struct ConnectionEnd(string Reason, bool Warned = false);

/// <summary>The session loop: run a connection until it ends, then reconnect with back-off (§4.1, §4.4).</summary>
public sealed partial class MqttClient
{
    /// <summary>
    /// Makes <paramref name="connection"/> the current one and returns the filters its send loop resubscribes: those
    /// remembered until now. A SubscribeAsync from this moment on sends its own SUBSCRIBE on this connection.
    /// </summary>
    private MqttTopicFilter[] Activate(MqttConnection connection)
    {
        lock (_sessionLock)
        {
            Volatile.Write(ref _connection, connection);
            return [.. _subscriptions];
        }
    }

    private async Task RunSessionAsync(MqttConnection connection, MqttTopicFilter[] resubscribe, CancellationToken stop)
    {
        var lostFor = "";
        try
        {
            while (true)
            {
                var end = await RunConnectionAsync(connection, resubscribe, stop);
                if (stop.IsCancellationRequested || _disconnecting)
                    return; // DisconnectAsync stops the client; the broker closing after our DISCONNECT is no loss
                if (!_options.AutoReconnect)
                {
                    lostFor = end.Reason;
                    _logger.LogWarning("MQTT {Endpoint} ({ClientId}): connection lost ({Reason}); AutoReconnect is off, the client stops.", _endpoint, _options.ClientId, end.Reason);
                    break;
                }

                connection = await ReconnectAsync(end, stop);
                resubscribe = Activate(connection);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            // A bug, not a network condition: say so loudly and stop rather than spin.
            lostFor = ex.Message;
            _logger.LogError(ex, "MQTT {Endpoint} ({ClientId}): the session loop failed; the client stops.", _endpoint, _options.ClientId);
        }

        lock (_stateLock)
            _state = StateStopped;
        var failure = new MqttClientException($"The MQTT connection to {_endpoint} was lost and the client stopped: {lostFor}");
        _outbound.Writer.TryComplete();
        FailOutstanding(failure);
        _inbound.Writer.TryComplete(failure);
    }

    /// <summary>Runs receive, send and keep-alive loops on the current connection until the first of them ends.</summary>
    private async Task<ConnectionEnd> RunConnectionAsync(MqttConnection connection, MqttTopicFilter[] resubscribe, CancellationToken stop)
    {
        using var scope = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (!connection.SessionPresent)
        {
            lock (_sessionLock)
                _exactlyOnceReceived.Clear(); // the broker forgot its QoS 2 deliveries too
        }

        Counters.OnConnected();
        _logger.LogInformation("MQTT {Endpoint} ({ClientId}): connected, session present {SessionPresent}, connection {Generation}.", _endpoint, _options.ClientId, connection.SessionPresent, connection.Generation);
        RaiseConnectionEvent(new MqttConnectionEvent(MqttConnectionState.Connected, connection.SessionPresent, null));

        var loops = new[]
        {
            GuardAsync("receive", ReceiveLoopAsync(connection, scope.Token)),
            GuardAsync("send", SendLoopAsync(connection, resubscribe, scope.Token)),
            GuardAsync("keep-alive", KeepAliveLoopAsync(connection, scope.Token)),
        };
        var end = await await Task.WhenAny(loops);
        await scope.CancelAsync();
        connection.Abort();
        await Task.WhenAll(loops);
        Volatile.Write(ref _connection, null);
        await DisposeQuietlyAsync(connection);
        FailRequests($"the connection to {_endpoint} was lost before the broker answered ({end.Reason})");

        var byApplication = stop.IsCancellationRequested || _disconnecting;
        if (!byApplication)
            Counters.OnConnectionLost();
        if (byApplication)
            end = new ConnectionEnd("stopped by the application");
        RaiseConnectionEvent(new MqttConnectionEvent(MqttConnectionState.Disconnected, false, end.Reason));
        return end;
    }

    /// <summary>
    /// The loops turn network conditions into a <see cref="ConnectionEnd"/> themselves; anything else is a bug. It
    /// ends this connection (logged as an error) instead of leaving the other loops running on it.
    /// </summary>
    private async Task<ConnectionEnd> GuardAsync(string loop, Task<ConnectionEnd> running)
    {
        try
        {
            return await running;
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "MQTT {Endpoint} ({ClientId}): the {Loop} loop failed unexpectedly; closing the connection.", _endpoint, _options.ClientId, loop);
            return new ConnectionEnd($"{loop} loop failed: {ex.Message}", Warned: true);
        }
    }

    /// <summary>Retries the connect handshake with <see cref="MqttReconnectPolicy"/> delays until it succeeds or the client stops.</summary>
    private async Task<MqttConnection> ReconnectAsync(ConnectionEnd end, CancellationToken stop)
    {
        var lastError = end.Reason;
        for (var attempt = 0; ; attempt++)
        {
            var delay = _reconnectPolicy.GetDelay(attempt);
            if (attempt == 0)
            {
                _logger.Log(end.Warned ? LogLevel.Information : LogLevel.Warning, "MQTT {Endpoint} ({ClientId}): connection lost ({Reason}); reconnecting in {Delay:0.0} s.", _endpoint, _options.ClientId, end.Reason, delay.TotalSeconds);
            }
            else
            {
                _logger.LogInformation("MQTT {Endpoint} ({ClientId}): reconnect attempt {Attempt} failed ({Error}); next in {Delay:0.0} s.", _endpoint, _options.ClientId, attempt, lastError, delay.TotalSeconds);
            }

            await Task.Delay(delay, _time, stop);
            try
            {
                return await OpenConnectionAsync(stop);
            }
            catch (MqttConnectException ex)
            {
                lastError = ex.Message;
            }
        }
    }

    /// <summary>
    /// §3.1.2.10: a PINGREQ when nothing was sent for 3/4 of the keep-alive period, or nothing received for a whole one; the
    /// connection counts as lost when neither PINGRESP nor any other packet arrives within half a period
    /// (at least 1 s) of the PINGREQ — unless the receive loop is not reading because the application is behind.
    /// </summary>
    private async Task<ConnectionEnd> KeepAliveLoopAsync(MqttConnection connection, CancellationToken cancellationToken)
    {
        var keepAlive = TimeSpan.FromSeconds(Math.Ceiling(_options.KeepAlive.TotalSeconds));
        try
        {
            if (keepAlive == TimeSpan.Zero)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken);
                return new ConnectionEnd("stopped");
            }

            var responseTimeout = TimeSpan.FromTicks(Math.Max(keepAlive.Ticks / 2, TimeSpan.TicksPerSecond));
            var pingAfter = keepAlive * 3 / 4;
            var tick = TimeSpan.FromTicks(Math.Min(keepAlive.Ticks / 4, TimeSpan.TicksPerSecond));
            using var timer = new PeriodicTimer(tick, _time);
            long pingSent = 0;
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                // Any packet read after the PINGREQ answers it; so does the end of a pause in reading (ReceiveBlocked).
                var pingPending = pingSent != 0 && connection.LastReceivedTimestamp < pingSent;
                if (pingPending && !connection.ReceiveBlocked && _time.GetElapsedTime(pingSent) > responseTimeout)
                    return new ConnectionEnd($"no PINGRESP within {responseTimeout.TotalSeconds:0.#} s of PINGREQ");

                // Idle sending: the broker needs a packet every period (it gives up after 1.5), also while we do not read;
                // pinging at 3/4 of a period leaves room for timer and scheduling delays at short keep-alives.
                // Idle receiving: probe the broker, once until it answers.
                var sendIdle = _time.GetElapsedTime(connection.LastSentTimestamp) >= pingAfter;
                var receiveIdle = !pingPending && _time.GetElapsedTime(connection.LastReceivedTimestamp) >= keepAlive;
                if (sendIdle || receiveIdle)
                {
                    if (!pingPending)
                        pingSent = _time.GetTimestamp();
                    await connection.SendAsync(MqttPingReqPacket.Instance, cancellationToken);
                }
            }

            return new ConnectionEnd("stopped");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ConnectionEnd("stopped");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            return new ConnectionEnd($"PINGREQ could not be sent: {ex.Message}");
        }
    }
}
