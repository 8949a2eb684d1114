using Irrigation.Server.Configuration;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// Several server instances sharing the telemetry of a NATS cluster (MQTT over JetStream, docs/scale-out.md): each reads
/// its share from one durable pull consumer with explicit acknowledgement on the MQTT layer's QoS 1 stream, and
/// acknowledges a message only once its batch is durable. Empty <see cref="Servers"/> (the default) leaves ingestion on
/// the server's own MQTT session, for one instance.
/// </summary>
public sealed class SharedStreamOptions : IFeatureOptions
{
    public static string Section => "Irrigation:SharedStream";

    /// <summary>The cluster's NATS client addresses, comma separated (<c>nats://127.0.0.1:24222,nats://127.0.0.1:24223</c>).</summary>
    public string Servers { get; set; } = "";

    /// <summary>
    /// The instance's NATS user (the cluster's authorization block, written by <c>irrigation-probe nats-auth</c>): the same
    /// account as <c>Mqtt:Username</c> in the deployments here. Given with <see cref="Password"/> or not at all.
    /// </summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>
    /// The stream that holds every QoS 1 PUBLISH before nats-server sends its PUBACK (<c>$MQTT_msgs</c> in nats-server 2.9,
    /// interest retention: the consumer must exist before gateways publish, as a persistent session must with mosquitto).
    /// </summary>
    public string Stream { get; set; } = "$MQTT_msgs";

    /// <summary>The subject prefix under which that stream stores an MQTT topic (its levels joined by dots).</summary>
    public string SubjectPrefix { get; set; } = "$MQTT.msgs.";

    /// <summary>The durable consumer the instances share; every instance must use the same name.</summary>
    public string Consumer { get; set; } = "irrigation-ingest";

    /// <summary>
    /// How long the cluster waits for an instance's acknowledgement before giving the message to another instance — the
    /// hand-over time after an instance dies. Longer than a batch takes to become durable (an InfluxDB write attempt
    /// times out, then the batch is spooled).
    /// </summary>
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages delivered and not yet acknowledged, over all instances (a batch is acknowledged only when durable).</summary>
    public int MaxAckPending { get; set; } = 20_000;

    /// <summary>Messages one pull asks for.</summary>
    public int PullBatch { get; set; } = 1_000;

    /// <summary>
    /// How long one pull request waits at the consumer's leader; the leader sends an idle heartbeat every half of it. A
    /// pull request lives only at that leader: when its node dies, the new leader knows nothing of it, and the instance
    /// notices only when two heartbeats are missing, then pulls again. So this bounds the pause after the consumer's leader
    /// is lost to the election plus this long (NATS.Net's default of 30 s let telemetry stop for about 30 s after the
    /// election); shorter costs one small request per instance per period when idle.
    /// </summary>
    public TimeSpan PullExpires { get; set; } = TimeSpan.FromSeconds(5);

    public bool Enabled => Servers.Length > 0;

    public IReadOnlyList<string> ServerUrls => Servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Validate()
    {
        if (!Enabled)
            return;
        foreach (var url in ServerUrls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Port <= 0)
                throw new ArgumentException($"Irrigation:SharedStream:Servers: '{url}' is not a nats://host:port address.");
        }

        if (string.IsNullOrEmpty(Username) != string.IsNullOrEmpty(Password))
            throw new ArgumentException("Irrigation:SharedStream:Username and Password are given together or not at all (a cluster with accounts refuses a user without its password).");
        if (Username is { Length: > 0 } user && (user.Length > 128 || user.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            throw new ArgumentException($"Irrigation:SharedStream:Username '{user}' must be 1-128 characters without spaces.");
        if (string.IsNullOrWhiteSpace(Stream) || string.IsNullOrWhiteSpace(SubjectPrefix))
            throw new ArgumentException("Irrigation:SharedStream:Stream and SubjectPrefix are required.");
        if (!ConsumerNames.IsValid(Consumer))
            throw new ArgumentException($"Irrigation:SharedStream:Consumer '{Consumer}' is not a consumer name (letters, digits, '-' and '_').");
        if (AckWait < TimeSpan.FromSeconds(2) || AckWait > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"Irrigation:SharedStream:AckWait must be 2 s..10 min, was {AckWait}.");
        if (MaxAckPending is < 1 or > 1_000_000)
            throw new ArgumentException($"Irrigation:SharedStream:MaxAckPending must be 1..1000000, was {MaxAckPending}.");
        if (PullExpires < TimeSpan.FromSeconds(2) || PullExpires > TimeSpan.FromMinutes(1))
            throw new ArgumentException($"Irrigation:SharedStream:PullExpires must be 2 s..1 min, was {PullExpires}.");
        if (PullBatch < 1 || PullBatch > MaxAckPending)
            throw new ArgumentException($"Irrigation:SharedStream:PullBatch must be 1..MaxAckPending, was {PullBatch}.");
    }
}

/// <summary>JetStream consumer names: what the cluster accepts.</summary>
public static class ConsumerNames
{
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

}
