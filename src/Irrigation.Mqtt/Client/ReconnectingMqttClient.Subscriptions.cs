using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// Subscriptions are remembered and must be granted on every connection: sent again after each reconnect, and a refusal
/// that may pass (MQTT 3.1.1's only failure code 0x80, which a NATS node answers while JetStream elects a leader) is
/// retried with the reconnect back-off until the broker grants it. <see cref="SubscriptionsGranted"/> says whether
/// all of them are in force now.
/// </summary>
public sealed partial class ReconnectingMqttClient
{
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
                _grantedOn.Remove(filter.Filter);
                _subscriptions.Add(filter);
            }
        }

        MqttSubscribeResult[] results;
        try
        {
            results = await SendSubscribeAsync(filters, cancellationToken);
        }
        catch (MqttClientException)
        {
            SignalSubscriptionRetry(); // no SUBACK: remembered, sent again until granted
            throw;
        }

        HandleRefusals(results, "subscription");
        return results;
    }

    /// <summary>Sent on every new connection, even with a session present: harmless, and right if the broker lost it.</summary>
    private async Task ResubscribeAsync(CancellationToken cancellationToken)
    {
        MqttTopicFilter[] filters;
        lock (_lock)
            filters = [.. _subscriptions];
        if (filters.Length == 0)
            return;
        try
        {
            var results = await SendSubscribeAsync(filters, cancellationToken);
            if (!HandleRefusals(results, "resubscription"))
                _logger.LogDebug("MQTT {Endpoint}: resubscribed {Count} filters.", _endpoint, filters.Length);
        }
        catch (MqttClientException ex)
        {
            _logger.LogWarning("MQTT {ClientId}: resubscribe after reconnect failed: {Reason}; retrying.", _options.ClientId, ex.Message);
            SignalSubscriptionRetry();
        }
    }

    /// <summary>
    /// Logs each refused filter; one the broker can never grant (an MQTT 5 code saying the filter itself is unacceptable)
    /// is forgotten, any other is retried. Returns true when something was refused.
    /// </summary>
    private bool HandleRefusals(MqttSubscribeResult[] results, string what)
    {
        var retry = false;
        foreach (var failed in results.Where(r => !r.Succeeded))
        {
            Counters.OnSubscriptionRefused();
            if (IsPermanentRefusal(failed.ReturnCode))
            {
                _logger.LogError("MQTT {Endpoint} ({ClientId}): the broker refused the {What} to \"{Filter}\" (reason code 0x{Code:X2}), which it can never grant; the filter is dropped.", _endpoint, _options.ClientId, what, failed.Filter, failed.ReturnCode);
                lock (_lock)
                    _subscriptions.RemoveAll(s => s.Filter == failed.Filter);
            }
            else
            {
                _logger.LogWarning("MQTT {Endpoint} ({ClientId}): the broker refused the {What} to \"{Filter}\" (reason code 0x{Code:X2}); retrying until it is granted.", _endpoint, _options.ClientId, what, failed.Filter, failed.ReturnCode);
                retry = true;
            }
        }

        if (retry)
            SignalSubscriptionRetry();
        return results.Any(r => !r.Succeeded);
    }

    /// <summary>MQTT 5 SUBACK codes (§3.9.3) that say the filter itself is unacceptable to this broker, so asking again cannot help.</summary>
    internal static bool IsPermanentRefusal(byte code) => code is 0x8F or 0x9E or 0xA1 or 0xA2;

    private MqttTopicFilter[] MissingSubscriptions()
    {
        var generation = Interlocked.Read(ref _generation);
        lock (_lock)
            return [.. _subscriptions.Where(s => !_grantedOn.TryGetValue(s.Filter, out var on) || on != generation)];
    }

    private void SignalSubscriptionRetry()
    {
        try
        {
            _subscriptionRetryNeeded.Release();
        }
        catch (SemaphoreFullException)
        {
            _logger.LogTrace("MQTT {ClientId}: a subscription retry is already pending.", _options.ClientId);
        }
    }

    /// <summary>
    /// Sends SUBSCRIBE again for the filters not granted on the current connection, after the back-off delay of each
    /// attempt, until all are granted. A lost connection ends the attempts: the reconnect resubscribes everything.
    /// </summary>
    private async Task SubscriptionRetryLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _subscriptionRetryNeeded.WaitAsync(stoppingToken);
                for (var attempt = 0; ; attempt++)
                {
                    await Task.Delay(_reconnectPolicy.GetDelay(attempt), _time, stoppingToken);
                    var missing = MissingSubscriptions();
                    if (missing.Length == 0 || !_client.IsConnected)
                        break;
                    try
                    {
                        var results = await SendSubscribeAsync(missing, stoppingToken);
                        HandleRefusals(results, "subscription");
                        if (results.All(r => r.Succeeded))
                        {
                            _logger.LogInformation("MQTT {Endpoint} ({ClientId}): subscription to {Filters} granted after {Attempts} retr{Ies}.", _endpoint, _options.ClientId, string.Join(", ", missing.Select(m => m.Filter)), attempt + 1, attempt == 0 ? "y" : "ies");
                            break;
                        }
                    }
                    catch (MqttClientException ex)
                    {
                        _logger.LogWarning("MQTT {ClientId}: subscription retry {Attempt} failed: {Reason}", _options.ClientId, attempt + 1, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogTrace("MQTT {ClientId}: subscription retries stopped.", _options.ClientId);
        }
    }

    /// <summary>One SUBSCRIBE; a granted filter is recorded against the connection it was granted on.</summary>
    private async Task<MqttSubscribeResult[]> SendSubscribeAsync(IReadOnlyList<MqttTopicFilter> filters, CancellationToken cancellationToken)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in filters)
            builder.WithTopicFilter(filter.Filter, (MqttQualityOfServiceLevel)filter.QualityOfService);
        var generation = Interlocked.Read(ref _generation);
        var answer = await RequestAsync(ct => _client.SubscribeAsync(builder.Build(), ct), "SUBACK", cancellationToken);
        MqttSubscribeResult[] results = [.. filters.Select((filter, i) => new MqttSubscribeResult(filter.Filter, i < answer.Items.Count ? (byte)answer.Items.ElementAt(i).ResultCode : (byte)0x80))];
        lock (_lock)
        {
            foreach (var granted in results.Where(r => r.Succeeded))
            {
                if (_subscriptions.Any(s => s.Filter == granted.Filter))
                    _grantedOn[granted.Filter] = generation;
            }
        }

        return results;
    }
}
