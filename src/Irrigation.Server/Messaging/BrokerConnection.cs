using Irrigation.Mqtt.Client;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Messaging;

/// <summary>The first connection of a server MQTT client: connect and subscribe, retrying with back-off until it works or the server stops.</summary>
internal static class BrokerConnection
{
    /// <summary>
    /// Returns once connected and subscribed (the client then keeps the session alive and resubscribes by itself),
    /// or when <paramref name="stoppingToken"/> fires. Refusals (bad credentials, broker down) are logged and retried
    /// after 1, 2, 4 … 30 s, so a server started before its broker simply waits for it.
    /// A subscription that is refused or not confirmed in time is not retried here: the client remembers it, asks again
    /// with back-off until granted and on every reconnect (its SubscriptionsGranted says when), and the caller must start reading — a broker
    /// delivering a large backlog to the session can hold the SUBACK behind messages nobody reads yet. Connecting the
    /// same client a second time would fail (it crashed the server on a restart with a backlog of a million messages).
    /// </summary>
    public static async Task ConnectAsync(IMqttClient mqtt, IReadOnlyList<MqttTopicFilter> filters, ServerMqttOptions options, ILogger logger, string purpose, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await mqtt.ConnectAsync(stoppingToken);
                break;
            }
            catch (MqttClientException ex)
            {
                logger.LogWarning("{Purpose}: broker {Brokers}: {Reason}; retrying in {Delay:0} s.", purpose, options.Describe(), ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }

        if (stoppingToken.IsCancellationRequested)
            return;
        try
        {
            await mqtt.SubscribeAsync(filters, stoppingToken);
        }
        catch (MqttClientException ex)
        {
            logger.LogWarning("{Purpose}: subscription to {Filters} not confirmed ({Reason}); going on, the client subscribes again on every reconnect.", purpose, string.Join(", ", filters.Select(f => f.Filter)), ex.Message);
        }
    }

    /// <summary>
    /// Hands every received message to <paramref name="handle"/>, in order, until the server stops. The handler must
    /// not throw on bad input (it counts and logs it): one bad retained message must not end the loop.
    /// </summary>
    public static async Task ReadAsync(IMqttClient mqtt, Action<MqttReceivedMessage> handle, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(mqtt);
        ArgumentNullException.ThrowIfNull(handle);
        var messages = mqtt.Messages;
        try
        {
            while (await messages.WaitToReadAsync(stoppingToken))
            {
                while (messages.TryRead(out var message))
                    handle(message);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
