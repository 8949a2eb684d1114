using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace Irrigation.Mqtt.Client;

/// <summary>Connecting, noticing a lost connection, and reconnecting with back-off and resubscribe.</summary>
public sealed partial class ReconnectingMqttClient
{
    /// <summary>One CONNECT; throws <see cref="MqttConnectException"/> naming the refusal or the transport problem.</summary>
    private async Task ConnectOnceAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        MqttClientConnectResult result;
        try
        {
            result = await _client.ConnectAsync(_netOptions, timeout.Token);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or SocketException or IOException or AuthenticationException or InvalidOperationException)
        {
            var why = timeout.IsCancellationRequested ? $"no CONNACK within {_options.ConnectTimeout.TotalSeconds:0.###} s" : DescribeTransportFailure(ex);
            throw new MqttConnectException(MqttConnectReturnCode.TransportFailure, $"Could not connect to {_endpoint}: {why}", ex);
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            var code = (MqttConnectReturnCode)(byte)result.ResultCode;
            throw new MqttConnectException(code, $"{_endpoint} refused the connection of \"{_options.ClientId}\": {Describe(code)}{(string.IsNullOrEmpty(result.ReasonString) ? "" : $" ({result.ReasonString})")}.");
        }

        Interlocked.Increment(ref _generation);
        Counters.OnConnected();
        _logger.LogInformation("MQTT {Endpoint} ({ClientId}): connected over MQTT {Protocol}, session {Session} (connection {Count}).", _endpoint, _options.ClientId, _options.Protocol == MqttProtocol.V311 ? "3.1.1" : "5.0", result.IsSessionPresent ? "resumed" : "new", Counters.Connects);
        lock (_lock)
            _connected.TrySetResult();
        RaiseConnectionEvent(new MqttConnectionEvent(MqttConnectionState.Connected, result.IsSessionPresent, null));
    }

    private string DescribeTransportFailure(Exception ex)
    {
        if (_certificates?.Failure is { } certificate)
            return $"TLS handshake failed: {certificate}";
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is OperationCanceledException)
                messages.Add($"no CONNACK within {_options.ConnectTimeout.TotalSeconds:0.###} s");
            else if (!messages.Contains(e.Message))
                messages.Add(e.Message);
        }

        return string.Join(": ", messages);
    }

    private static string Describe(MqttConnectReturnCode code) => code switch
    {
        MqttConnectReturnCode.BadUsernameOrPassword => "bad user name or password",
        MqttConnectReturnCode.NotAuthorized => "not authorized",
        MqttConnectReturnCode.IdentifierRejected => "client identifier rejected",
        MqttConnectReturnCode.UnsupportedProtocolVersion => "unsupported protocol version",
        MqttConnectReturnCode.ServerUnavailable => "server unavailable",
        MqttConnectReturnCode.ServerBusy => "server busy",
        MqttConnectReturnCode.Banned => "banned",
        _ => $"reason code 0x{(byte)code:X2} ({code})",
    };

    /// <summary>MQTTnet raises this once per lost (or refused) connection; the reconnect loop takes it from here.</summary>
    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (!e.ClientWasConnected)
            return Task.CompletedTask; // a failed attempt: ConnectOnceAsync reports it

        Interlocked.Increment(ref _generation); // from now on acks of that connection's messages are dropped
        lock (_lock)
        {
            if (_connected.Task.IsCompleted)
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var stopping = Volatile.Read(ref _state) == StateStopped;
        var reason = e.Reason == MqttClientDisconnectReason.NormalDisconnection && e.Exception is not null
            ? e.Exception.Message
            : $"{e.Reason}{(string.IsNullOrEmpty(e.ReasonString) ? "" : $": {e.ReasonString}")}{(e.Exception is null ? "" : $" ({e.Exception.Message})")}";
        if (!stopping)
        {
            Counters.OnConnectionLost();
            if (e.Exception is MqttProtocolViolationException)
                Counters.OnProtocolError();
            _logger.LogWarning("MQTT {Endpoint} ({ClientId}): connection lost: {Reason}.{Next}", _endpoint, _options.ClientId, reason, _options.AutoReconnect ? " Reconnecting." : "");
        }

        RaiseConnectionEvent(new MqttConnectionEvent(MqttConnectionState.Disconnected, false, reason));
        if (!stopping && _options.AutoReconnect)
        {
            SignalReconnect();
        }
        else if (!stopping && !_options.AutoReconnect)
        {
            lock (_lock)
                _state = StateStopped;
            _connected.TrySetException(new MqttClientException($"The connection to {_endpoint} was lost and AutoReconnect is off."));
            _inbound.Writer.TryComplete(new MqttClientException($"The connection to {_endpoint} was lost: {reason}"));
        }

        return Task.CompletedTask;
    }

    private void SignalReconnect()
    {
        try
        {
            _reconnectNeeded.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled; the loop reconnects once
        }
        catch (ObjectDisposedException)
        {
            // disposed meanwhile
        }
    }

    private async Task ReconnectLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _reconnectNeeded.WaitAsync(stoppingToken);
                for (var attempt = 0; !_client.IsConnected; attempt++)
                {
                    var delay = _reconnectPolicy.GetDelay(attempt);
                    await Task.Delay(delay, _time, stoppingToken);

                    // Wait out any ack that saw the old generation; later ones see the new one and are dropped.
                    await _ackGate.WaitAsync(stoppingToken);
                    _ackGate.Release();
                    try
                    {
                        await ConnectOnceAsync(stoppingToken);
                        await ResubscribeAsync(stoppingToken);
                    }
                    catch (MqttConnectException ex)
                    {
                        var level = attempt == 0 || ex.ReturnCode != MqttConnectReturnCode.TransportFailure ? LogLevel.Warning : LogLevel.Debug;
                        _logger.Log(level, "MQTT {ClientId}: reconnect attempt {Attempt} failed: {Reason}", _options.ClientId, attempt + 1, ex.Message);
                    }
                    catch (MqttClientException ex)
                    {
                        _logger.LogWarning("MQTT {ClientId}: resubscribe after reconnect failed: {Reason}", _options.ClientId, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sent on every new connection, even with a session present: harmless, and right if the broker lost it.</summary>
    private async Task ResubscribeAsync(CancellationToken cancellationToken)
    {
        MqttTopicFilter[] filters;
        lock (_lock)
            filters = [.. _subscriptions];
        if (filters.Length == 0)
            return;
        var results = await SendSubscribeAsync(filters, cancellationToken);
        var refused = results.Where(r => !r.Succeeded).Select(r => r.Filter).ToArray();
        if (refused.Length > 0)
            _logger.LogWarning("MQTT {Endpoint} ({ClientId}): the broker refused the resubscription to {Filters}.", _endpoint, _options.ClientId, string.Join(", ", refused));
        else
            _logger.LogDebug("MQTT {Endpoint}: resubscribed {Count} filters.", _endpoint, filters.Length);
    }

    public async Task<IReadOnlyList<MqttSubscribeResult>> SubscribeAsync(IReadOnlyList<MqttTopicFilter> filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Count == 0)
            throw new ArgumentException("SUBSCRIBE needs at least one filter (§3.8.3).", nameof(filters));
        foreach (var filter in filters)
        {
            if (!IsValidFilter(filter.Filter))
                throw new ArgumentException($"\"{filter.Filter}\" is not a valid topic filter (§4.7.1).", nameof(filters));
            if ((byte)filter.QualityOfService > 2)
                throw new ArgumentException($"QoS {(byte)filter.QualityOfService} does not exist.", nameof(filters));
        }

        ThrowIfStopped();
        lock (_lock)
        {
            foreach (var filter in filters)
            {
                _subscriptions.RemoveAll(s => s.Filter == filter.Filter);
                _subscriptions.Add(filter);
            }
        }

        var results = await SendSubscribeAsync(filters, cancellationToken);
        foreach (var failed in results.Where(r => !r.Succeeded))
        {
            _logger.LogWarning("MQTT {Endpoint} ({ClientId}): the broker refused the subscription to \"{Filter}\" (reason code 0x{Code:X2}).", _endpoint, _options.ClientId, failed.Filter, failed.ReturnCode);
            lock (_lock)
                _subscriptions.RemoveAll(s => s.Filter == failed.Filter);
        }

        return results;
    }

    public async Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Count == 0)
            throw new ArgumentException("UNSUBSCRIBE needs at least one filter (§3.10.3).", nameof(filters));
        ThrowIfStopped();
        lock (_lock)
            _subscriptions.RemoveAll(s => filters.Contains(s.Filter));
        var builder = new MqttClientUnsubscribeOptionsBuilder();
        foreach (var filter in filters)
            builder.WithTopicFilter(filter);
        await RequestAsync(ct => _client.UnsubscribeAsync(builder.Build(), ct), "UNSUBACK", cancellationToken);
    }

    private async Task<MqttSubscribeResult[]> SendSubscribeAsync(IReadOnlyList<MqttTopicFilter> filters, CancellationToken cancellationToken)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in filters)
            builder.WithTopicFilter(filter.Filter, (MqttQualityOfServiceLevel)filter.QualityOfService);
        var answer = await RequestAsync(ct => _client.SubscribeAsync(builder.Build(), ct), "SUBACK", cancellationToken);
        return [.. filters.Select((filter, i) => new MqttSubscribeResult(filter.Filter, i < answer.Items.Count ? (byte)answer.Items.ElementAt(i).ResultCode : (byte)0x80))];
    }

    private async Task<T> RequestAsync<T>(Func<CancellationToken, Task<T>> request, string answer, CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
            throw new MqttClientException($"Not connected to {_endpoint}; subscriptions are remembered and sent again when the client reconnects.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            return await request(timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MqttClientException($"No {answer} from {_endpoint} within {_options.RequestTimeout.TotalSeconds:0.###} s.", ex);
        }
        catch (Exception ex) when (ex is MqttCommunicationException or ObjectDisposedException)
        {
            throw new MqttClientException($"The connection to {_endpoint} was lost before the {answer}: {ex.Message}", ex);
        }
    }

    /// <summary>§4.7.1: '#' only last and alone in its level, '+' alone in its level, no NUL, 1..65535 bytes.</summary>
    internal static bool IsValidFilter(string filter)
    {
        if (string.IsNullOrEmpty(filter) || filter.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(filter) > 65535)
            return false;
        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#', StringComparison.Ordinal) && (level.Length != 1 || i != levels.Length - 1))
                return false;
            if (level.Contains('+', StringComparison.Ordinal) && level.Length != 1)
                return false;
        }

        return true;
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _state) == StateStopped)
            throw new MqttClientException("This client was disconnected or disposed.");
    }
}
