using Irrigation.Mqtt.Client;

namespace Irrigation.Server.Messaging;

/// <summary>
/// Ends the broker sessions of a server instance that will not come back (<c>irrigation-server retire-mqtt-sessions
/// &lt;instance-id&gt;</c>). Every instance keeps persistent sessions (<see cref="ServerMqttClientFactory.Sessions"/>) so
/// nothing is lost across a restart; the broker keeps queueing their subscriptions' messages for as long as the session
/// lives — with MQTT 3.1.1 (the NATS cluster) there is no session expiry, so for ever: on NATS every queued message stays
/// in the <c>$MQTT_msgs</c> stream. Connecting each session's client id once with a clean session makes the broker discard
/// the session, its subscriptions and what it held (MQTT 3.1.1 §3.1.2.4; 5.0 Clean Start with a session expiry of 0).
/// </summary>
internal static class RetiredInstanceSessions
{
    /// <summary>Ends every session of <paramref name="instanceId"/>; returns what was done per session (client id, error or null).</summary>
    public static async Task<IReadOnlyList<(string ClientId, string? Error)>> EndAsync(ServerMqttOptions options, string instanceId, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var results = new List<(string, string?)>();
        foreach (var suffix in ServerMqttClientFactory.Sessions)
        {
            var clientId = instanceId + suffix;
            var client = ServerMqttClientFactory.Create(options, suffix, logger, o =>
            {
                o.ClientId = clientId;
                o.CleanSession = true;
            });
            await using (client)
            {
                try
                {
                    await client.ConnectAsync(cancellationToken);
                    await client.DisconnectAsync(cancellationToken);
                    results.Add((clientId, null));
                }
                catch (MqttClientException ex)
                {
                    results.Add((clientId, ex.Message));
                }
            }
        }

        return results;
    }
}
