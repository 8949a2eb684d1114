using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace Irrigation.Mqtt.Client;

/// <summary>Connecting to one of the brokers, noticing a lost connection, and reconnecting with back-off.</summary>
public sealed partial class ReconnectingMqttClient
{
    /// <summary>
    /// One round over the brokers, starting at <paramref name="first"/>: a CONNECT to each in turn until one accepts.
    /// Throws <see cref="MqttConnectException"/> when none does — the one failure for a single broker, else every
    /// broker's failure in one message, with a refusal's code (a CONNACK says more than a timeout) if there was one.
    /// </summary>
    private async Task ConnectAnyAsync(int first, CancellationToken cancellationToken)
    {
        List<MqttConnectException>? failures = null;
        for (var i = 0; i < _brokers.Length; i++)
        {
            try
            {
                await ConnectOnceAsync((first + i) % _brokers.Length, cancellationToken);
                return;
            }
            catch (MqttConnectException ex) when (_brokers.Length > 1)
            {
                (failures ??= []).Add(ex);
                _logger.LogDebug("MQTT {ClientId}: {Reason}", _options.ClientId, ex.Message);
            }
        }

        var code = failures!.Select(f => f.ReturnCode).FirstOrDefault(c => c != MqttConnectReturnCode.TransportFailure, MqttConnectReturnCode.TransportFailure);
        throw new MqttConnectException(code, $"None of the {_brokers.Length} brokers accepted the connection: {string.Join("; ", failures!.Select(f => f.Message))}", failures![^1]);
    }

    /// <summary>One CONNECT to broker <paramref name="index"/>; throws <see cref="MqttConnectException"/> naming the refusal or the transport problem.</summary>
    private async Task ConnectOnceAsync(int index, CancellationToken cancellationToken)
    {
        var endpoint = Describe(_brokers[index]);
        _endpoint = endpoint;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        MqttClientConnectResult result;
        try
        {
            result = await _client.ConnectAsync(_netOptions[index], timeout.Token);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or SocketException or IOException or AuthenticationException or InvalidOperationException)
        {
            var why = timeout.IsCancellationRequested ? $"no CONNACK within {_options.ConnectTimeout.TotalSeconds:0.###} s" : DescribeTransportFailure(ex);
            throw new MqttConnectException(MqttConnectReturnCode.TransportFailure, $"Could not connect to {endpoint}: {why}", ex);
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            var code = (MqttConnectReturnCode)(byte)result.ResultCode;
            throw new MqttConnectException(code, $"{endpoint} refused the connection of \"{_options.ClientId}\": {Describe(code)}{(string.IsNullOrEmpty(result.ReasonString) ? "" : $" ({result.ReasonString})")}.");
        }

        _broker = index;
        Interlocked.Increment(ref _generation);
        Counters.OnConnected();
        var of = _brokers.Length > 1 ? $" (broker {index + 1} of {_brokers.Length})" : "";
        _logger.LogInformation("MQTT {Endpoint}{Of} ({ClientId}): connected over MQTT {Protocol}, session {Session} (connection {Count}).", endpoint, of, _options.ClientId, _options.Protocol == MqttProtocol.V311 ? "3.1.1" : "5.0", result.IsSessionPresent ? "resumed" : "new", Counters.Connects);
        lock (_lock)
            _connected.TrySetResult();
        RaiseConnectionEvent(new MqttConnectionEvent(MqttConnectionState.Connected, result.IsSessionPresent, null, _brokers[index]));
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

        // Not an MQTT 5 reason code: a 3.1.1-only broker (NATS) answers an MQTT 5 CONNECT with its own CONNACK, return code 1.
        (MqttConnectReturnCode)0x01 => "unacceptable protocol version (MQTT 3.1.1 return code 1: this broker does not speak MQTT 5; set the protocol to 3.1.1)",
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
        var dropped = Interlocked.Exchange(ref _dropReason, null);
        var reason = dropped is not null
            ? $"{dropped} (dropped by this client)"
            : e.Reason == MqttClientDisconnectReason.NormalDisconnection && e.Exception is not null
            ? e.Exception.Message
            : $"{e.Reason}{(string.IsNullOrEmpty(e.ReasonString) ? "" : $": {e.ReasonString}")}{(e.Exception is null ? "" : $" ({e.Exception.Message})")}";
        if (!stopping)
        {
            Counters.OnConnectionLost();
            if (e.Exception is MqttProtocolViolationException)
                Counters.OnProtocolError();
            _logger.LogWarning("MQTT {Endpoint} ({ClientId}): connection lost: {Reason}.{Next}", _endpoint, _options.ClientId, reason, _options.AutoReconnect ? " Reconnecting." : "");
        }

        RaiseConnectionEvent(new MqttConnectionEvent(MqttConnectionState.Disconnected, false, reason, _brokers[_broker]));
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

    /// <summary>
    /// After a loss: rounds over the brokers, the next one after the broker lost first and that one last, each round
    /// after the back-off delay of its number — so a cluster that lost one node is left at once, and a fleet facing a
    /// cluster that is all down waits as it would for one broker.
    /// </summary>
    private async Task ReconnectLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _reconnectNeeded.WaitAsync(stoppingToken);
                for (var round = 0; !_client.IsConnected; round++)
                {
                    var delay = _reconnectPolicy.GetDelay(round);
                    await Task.Delay(delay, _time, stoppingToken);

                    // Wait out any ack that saw the old generation; later ones see the new one and are dropped.
                    await _ackGate.WaitAsync(stoppingToken);
                    _ackGate.Release();
                    try
                    {
                        await ConnectAnyAsync((_broker + 1) % _brokers.Length, stoppingToken);
                        await ResubscribeAsync(stoppingToken);
                    }
                    catch (MqttConnectException ex)
                    {
                        var level = round == 0 || ex.ReturnCode != MqttConnectReturnCode.TransportFailure ? LogLevel.Warning : LogLevel.Debug;
                        _logger.Log(level, "MQTT {ClientId}: reconnect round {Round} failed: {Reason}", _options.ClientId, round + 1, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Count == 0)
            throw new ArgumentException("UNSUBSCRIBE needs at least one filter (§3.10.3).", nameof(filters));
        ThrowIfStopped();
        lock (_lock)
        {
            _subscriptions.RemoveAll(s => filters.Contains(s.Filter));
            foreach (var filter in filters)
                _grantedOn.Remove(filter);
        }

        var builder = new MqttClientUnsubscribeOptionsBuilder();
        foreach (var filter in filters)
            builder.WithTopicFilter(filter);
        await RequestAsync(ct => _client.UnsubscribeAsync(builder.Build(), ct), "UNSUBACK", cancellationToken);
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
