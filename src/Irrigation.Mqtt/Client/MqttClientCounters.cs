namespace Irrigation.Mqtt.Client;

/// <summary>Thread-safe counters of one client, for metrics endpoints and tests.</summary>
public sealed class MqttClientCounters
{
    private long _published;
    private long _publishAcked;
    private long _resent;
    private long _received;
    private long _acked;
    private long _connects;
    private long _connectionLosses;
    private long _protocolErrors;
    private long _pubAckTimeouts;
    private long _subscriptionsRefused;

    public long Published => Interlocked.Read(ref _published);

    public long PublishAcked => Interlocked.Read(ref _publishAcked);

    /// <summary>QoS 1 publishes resent with DUP after a reconnect.</summary>
    public long Resent => Interlocked.Read(ref _resent);

    public long Received => Interlocked.Read(ref _received);

    public long Acked => Interlocked.Read(ref _acked);

    public long Connects => Interlocked.Read(ref _connects);

    public long ConnectionLosses => Interlocked.Read(ref _connectionLosses);

    /// <summary>Malformed or oversized packets from the broker; each closed the connection.</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>Connections this client dropped because a QoS 1 PUBACK did not come within the request timeout.</summary>
    public long PubAckTimeouts => Interlocked.Read(ref _pubAckTimeouts);

    /// <summary>Filters the broker refused in a SUBACK (each retry counts again).</summary>
    public long SubscriptionsRefused => Interlocked.Read(ref _subscriptionsRefused);

    internal void OnPubAckTimeout() => Interlocked.Increment(ref _pubAckTimeouts);

    internal void OnSubscriptionRefused() => Interlocked.Increment(ref _subscriptionsRefused);

    internal void OnPublished() => Interlocked.Increment(ref _published);

    internal void OnPublishAcked() => Interlocked.Increment(ref _publishAcked);

    internal void OnResent() => Interlocked.Increment(ref _resent);

    internal void OnReceived() => Interlocked.Increment(ref _received);

    internal void OnAcked() => Interlocked.Increment(ref _acked);

    internal void OnConnected() => Interlocked.Increment(ref _connects);

    internal void OnConnectionLost() => Interlocked.Increment(ref _connectionLosses);

    internal void OnProtocolError() => Interlocked.Increment(ref _protocolErrors);
}
