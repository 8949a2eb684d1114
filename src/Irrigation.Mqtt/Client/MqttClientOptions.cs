namespace Irrigation.Mqtt.Client;

/// <summary>TLS settings; the broker's certificate is validated against <see cref="CaCertificatePath"/> when given, else the system store.</summary>
public sealed class MqttTlsOptions
{
    /// <summary>PEM file of the CA that signed the broker's certificate.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>PEM client certificate and key for mutual TLS (optional).</summary>
    public string? ClientCertificatePath { get; set; }

    public string? ClientKeyPath { get; set; }

    /// <summary>Name expected in the broker's certificate; defaults to the host.</summary>
    public string? TargetHost { get; set; }
}

/// <summary>The protocol spoken with the broker. MQTT 5 by default; 3.1.1 for brokers or links that need it.</summary>
public enum MqttProtocol
{
    /// <summary>MQTT 5.0: message expiry on commands, session expiry, receive maximum, reason codes.</summary>
    V500,

    /// <summary>MQTT 3.1.1: no expiry (the gateway's own expiry check remains), the broker's global session expiration applies.</summary>
    V311,
}

/// <summary>Connection and session settings, validated when the client is created.</summary>
public sealed class MqttClientOptions
{
    public static readonly TimeSpan DefaultSessionExpiry = TimeSpan.FromDays(14);
    public static readonly TimeSpan DefaultKeepAlive = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultReconnectDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxReconnectDelay = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);
    public const int DefaultMaxPacketSize = 1024 * 1024;

    /// <summary>The largest packet MQTT allows (a remaining length of 268,435,455 bytes plus the fixed header).</summary>
    public const int ProtocolMaxPacketSize = 268_435_460;
    public const int DefaultInboundCapacity = 1000;
    public const int DefaultMaxInflight = 100;
    public const int MaxReceiveMaximum = 65535;

    /// <summary>The broker when <see cref="Brokers"/> is empty (one broker).</summary>
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 1883;

    /// <summary>
    /// The nodes of a broker cluster as "host:port", in order of preference; when given, <see cref="Host"/> and
    /// <see cref="Port"/> are not used. The client connects to the first that answers and, when that connection is lost,
    /// tries the next (the one it lost last); the reconnect back-off applies to each round over all of them.
    /// </summary>
    public IList<string> Brokers { get; set; } = [];

    /// <summary>1–23 characters of [0-9a-zA-Z] are guaranteed by MQTT 3.1.1; mosquitto accepts longer.</summary>
    public string ClientId { get; set; } = "";

    public string? Username { get; set; }

    public string? Password { get; set; }

    public MqttProtocol Protocol { get; set; } = MqttProtocol.V500;

    /// <summary>False (the default) keeps the broker-side session — subscriptions and queued QoS 1 messages — across reconnects.</summary>
    public bool CleanSession { get; set; }

    /// <summary>
    /// MQTT 5: how long the broker keeps this client's session (subscriptions and queued messages) after the connection
    /// is lost (§3.1.2.11.2), instead of the broker's global setting. Ignored with <see cref="CleanSession"/>, where the
    /// session ends with the connection, and on 3.1.1.
    /// </summary>
    public TimeSpan SessionExpiry { get; set; } = DefaultSessionExpiry;

    public TimeSpan KeepAlive { get; set; } = DefaultKeepAlive;

    /// <summary>Published by the broker if this client vanishes without DISCONNECT.</summary>
    public MqttApplicationMessage? Will { get; set; }

    /// <summary>Null for plain TCP.</summary>
    public MqttTlsOptions? Tls { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>
    /// How long SubscribeAsync and UnsubscribeAsync wait for SUBACK / UNSUBACK, and how long a QoS 1 publish waits for
    /// its PUBACK before the connection is taken as lost (dropped, and the publish sent again on the next one) — unless
    /// the application is behind reading, when a PUBACK may wait unread in the socket.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    public bool AutoReconnect { get; set; } = true;

    public TimeSpan ReconnectDelay { get; set; } = DefaultReconnectDelay;

    public TimeSpan MaxReconnectDelay { get; set; } = DefaultMaxReconnectDelay;

    /// <summary>
    /// Largest packet this client accepts: sent to an MQTT 5 broker as Maximum Packet Size (§3.1.2.11.4), so the broker
    /// never sends a larger one. Not enforced on 3.1.1.
    /// </summary>
    public int MaxPacketSize { get; set; } = DefaultMaxPacketSize;

    /// <summary>
    /// Capacity of <see cref="IMqttClient.Messages"/>. While it is more than half full the socket is not read, so
    /// back-pressure reaches the broker through TCP instead of memory growing.
    /// </summary>
    public int InboundCapacity { get; set; } = DefaultInboundCapacity;

    /// <summary>
    /// MQTT 5 Receive Maximum (§3.1.2.11.3): the broker sends no more QoS 1 messages while this many wait for our PUBACK.
    /// With <see cref="ManualAck"/> the messages of batches still being made durable count too, so keep it well above
    /// <see cref="InboundCapacity"/> or the broker idles while a batch is written. Default: the protocol's maximum.
    /// </summary>
    public int ReceiveMaximum { get; set; } = MaxReceiveMaximum;

    /// <summary>QoS 1 publishes sent but not yet PUBACKed; further PublishAsync calls wait at this many.</summary>
    public int MaxInflight { get; set; } = DefaultMaxInflight;

    /// <summary>When true, received QoS 1 messages are PUBACKed only by <see cref="MqttReceivedMessage.AckAsync"/>.</summary>
    public bool ManualAck { get; set; }

    /// <summary>The brokers to try, in order: <see cref="Brokers"/> when given, else <see cref="Host"/>:<see cref="Port"/>.</summary>
    public IReadOnlyList<MqttBrokerEndpoint> Endpoints()
    {
        if (Brokers is not { Count: > 0 })
            return [new MqttBrokerEndpoint(Host, Port)];
        var endpoints = new List<MqttBrokerEndpoint>(Brokers.Count);
        foreach (var broker in Brokers)
        {
            if (!MqttBrokerEndpoint.TryParse(broker, out var endpoint, out var reason))
                throw new ArgumentException($"{nameof(Brokers)}[{endpoints.Count}] {reason}.");
            if (endpoints.Contains(endpoint))
                throw new ArgumentException($"{nameof(Brokers)}[{endpoints.Count}] {endpoint} is listed twice.");
            endpoints.Add(endpoint);
        }

        return endpoints;
    }

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Brokers is { Count: > 0 })
        {
            _ = Endpoints();
        }
        else
        {
            if (string.IsNullOrWhiteSpace(Host))
                throw new ArgumentException($"{nameof(Host)} is required.");
            if (Port is < 1 or > 65535)
                throw new ArgumentException($"{nameof(Port)} must be 1..65535, was {Port}.");
        }

        if (string.IsNullOrEmpty(ClientId) && !CleanSession)
            throw new ArgumentException($"{nameof(ClientId)} is required for a persistent session (CleanSession = false).");
        if (ClientId.Length > 65535)
            throw new ArgumentException($"{nameof(ClientId)} is too long.");
        if (Password is not null && Username is null)
            throw new ArgumentException($"{nameof(Password)} needs a {nameof(Username)} (MQTT 3.1.1 §3.1.2.9).");
        if (!Enum.IsDefined(Protocol))
            throw new ArgumentException($"{nameof(Protocol)} must be V500 or V311, was {Protocol}.");
        if (SessionExpiry < TimeSpan.Zero || SessionExpiry.TotalSeconds > uint.MaxValue)
            throw new ArgumentException($"{nameof(SessionExpiry)} must be 0..{uint.MaxValue} s, was {SessionExpiry}.");
        if (KeepAlive < TimeSpan.Zero || KeepAlive > TimeSpan.FromSeconds(65535))
            throw new ArgumentException($"{nameof(KeepAlive)} must be 0..65535 s, was {KeepAlive}.");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(ConnectTimeout)} must be positive.");
        if (RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(RequestTimeout)} must be positive.");
        if (ReconnectDelay <= TimeSpan.Zero || MaxReconnectDelay < ReconnectDelay)
            throw new ArgumentException($"{nameof(ReconnectDelay)} must be positive and not above {nameof(MaxReconnectDelay)}.");
        if (MaxPacketSize is < 128 or > ProtocolMaxPacketSize)
            throw new ArgumentException($"{nameof(MaxPacketSize)} must be 128..{ProtocolMaxPacketSize}, was {MaxPacketSize}.");
        if (InboundCapacity < 1 || MaxInflight is < 1 or > 65535 || ReceiveMaximum is < 1 or > MaxReceiveMaximum)
            throw new ArgumentException($"{nameof(InboundCapacity)} must be positive, {nameof(MaxInflight)} and {nameof(ReceiveMaximum)} 1..65535 (a packet identifier space).");
        if (Will is not null && (string.IsNullOrEmpty(Will.Topic) || Will.Topic.Contains('+') || Will.Topic.Contains('#')))
            throw new ArgumentException($"{nameof(Will)} topic must be a non-empty topic name without wildcards.");
    }
}
