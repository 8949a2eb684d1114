using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Messaging;

public sealed class ServerMqttOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Mqtt";

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 1883;

    /// <summary>
    /// The nodes of a broker cluster, "host:port" each, in order of preference, instead of <see cref="Host"/> and
    /// <see cref="Port"/> (<c>Irrigation__Mqtt__Brokers__0=127.0.0.1:21883</c> …): every MQTT session of the server
    /// connects to the first that answers and moves to the next when its connection is lost (docs/mqtt-client.md).
    /// </summary>
    public List<string> Brokers { get; set; } = [];

    /// <summary>The brokers as the log names them.</summary>
    public string Describe() => Brokers.Count > 0 ? string.Join(", ", Brokers) : $"{Host}:{Port}";

    /// <summary>
    /// Each server instance needs its own id, stable across restarts (default irrigation-server-{machine}): the broker
    /// keeps the persistent session and its share of the telemetry for that id, and hands it back after a restart.
    /// A new id per start would leave old sessions in the shared group, each taking its share of messages.
    /// </summary>
    public string? ClientId { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>
    /// Shared subscription group for several server instances that split the telemetry stream
    /// (<c>$share/{group}/…</c>); empty (the default) subscribes plainly, for one instance. Mosquitto 2.0.11
    /// (Debian 12) does not restore shared subscriptions from its persistence file, so after a broker restart
    /// every message published before the instances resubscribe is lost to them (a gateway's outage replay
    /// comes exactly then); a plain subscription of a persistent session is restored and its messages queued.
    /// </summary>
    public string SharedGroup { get; set; } = "";

    /// <summary>
    /// Messages held between the socket and the ingest loop; while more than half of it is used the socket is not read
    /// (back-pressure to the broker).
    /// </summary>
    public int InboundCapacity { get; set; } = 10_000;

    /// <summary>
    /// "5" (the default) or "3.1.1", which a NATS or RabbitMQ 3.10 cluster requires: then commands carry no broker-side
    /// expiry (the gateway's own expiresAt check remains), sessions no expiry and no Receive Maximum is sent.
    /// </summary>
    public string Protocol { get; set; } = "5";

    /// <summary>
    /// PEM file of the CA that signed the broker's certificate: when given, every MQTT session of the server connects
    /// over TLS and trusts that CA alone (a NATS cluster node has one MQTT listener, so with TLS on it the servers need
    /// it too; docs/scale-out.md, "TLS on the MQTT listeners"). Empty: plain TCP.
    /// </summary>
    public string? TlsCaFile { get; set; }

    /// <summary>The TLS settings of every session, from <see cref="TlsCaFile"/>; null for plain TCP.</summary>
    public MqttTlsOptions? Tls() => string.IsNullOrEmpty(TlsCaFile) ? null : new MqttTlsOptions { CaCertificatePath = Path.GetFullPath(TlsCaFile) };

    /// <summary>MQTT 5 Receive Maximum: QoS 1 messages the broker may send before our PUBACKs (1..65535).</summary>
    public int ReceiveMaximum { get; set; } = 65535;

    public void Validate()
    {
        if (Port is < 1 or > 65535)
            throw new ArgumentException($"Irrigation:Mqtt:Port {Port} is outside 1..65535.");
        var seen = new HashSet<MqttBrokerEndpoint>();
        for (var i = 0; i < Brokers.Count; i++)
        {
            if (!MqttBrokerEndpoint.TryParse(Brokers[i], out var broker, out var reason))
                throw new ArgumentException($"Irrigation:Mqtt:Brokers:{i} {reason}.");
            if (!seen.Add(broker))
                throw new ArgumentException($"Irrigation:Mqtt:Brokers:{i} {broker} is listed twice.");
        }

        if (InboundCapacity is < 1 or > 1_000_000)
            throw new ArgumentException($"Irrigation:Mqtt:InboundCapacity must be 1..1000000, was {InboundCapacity}.");
        if (ReceiveMaximum is < 1 or > 65535)
            throw new ArgumentException($"Irrigation:Mqtt:ReceiveMaximum must be 1..65535, was {ReceiveMaximum}.");
        if (Protocol is not ("5" or "3.1.1"))
            throw new ArgumentException($"Irrigation:Mqtt:Protocol must be \"5\" or \"3.1.1\", was \"{Protocol}\".");
        if (SharedGroup.Length > 0 && (SharedGroup.Trim().Length == 0 || SharedGroup.IndexOfAny(['/', '+', '#']) >= 0))
            throw new ArgumentException("Irrigation:Mqtt:SharedGroup must be empty (one instance) or a single topic level.");
        ValidateTlsCaFile();
    }

    private void ValidateTlsCaFile()
    {
        if (string.IsNullOrEmpty(TlsCaFile))
            return;
        try
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(Path.GetFullPath(TlsCaFile));
            var count = authorities.Count;
            foreach (var authority in authorities)
                authority.Dispose();
            if (count == 0)
                throw new ArgumentException($"Irrigation:Mqtt:TlsCaFile '{TlsCaFile}' holds no PEM certificate.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"Irrigation:Mqtt:TlsCaFile '{TlsCaFile}' cannot be read: {ex.Message}", ex);
        }
    }
}
