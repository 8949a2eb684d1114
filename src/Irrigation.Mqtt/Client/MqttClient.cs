using System.Threading.Channels;
using Irrigation.Mqtt.Packets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// MQTT 3.1.1 client with a self-healing session. <see cref="ConnectAsync"/> makes the first connection; from
/// then on one background session loop owns the connection: per connection a receive loop (parses packets,
/// delivers PUBLISH into the bounded <see cref="Messages"/> channel), a send loop (resubscribe, resend of
/// unacknowledged QoS 1 with DUP, then the bounded outbound queue) and a keep-alive loop. When any of them ends
/// the connection is closed and, with <see cref="MqttClientOptions.AutoReconnect"/>, opened again after a
/// jittered exponential back-off, until <see cref="DisconnectAsync"/> or <see cref="DisposeAsync"/>.
/// The partial files hold the connect handshake, session loop, publish path, receive path and subscriptions.
/// </summary>
public sealed partial class MqttClient : IMqttClient
{
    private const int StateNew = 0;
    private const int StateConnecting = 1;
    private const int StateRunning = 2;
    private const int StateStopped = 3;

    private static readonly TimeSpan DisconnectSendTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DisconnectCloseWait = TimeSpan.FromSeconds(2);

    private readonly MqttClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _endpoint;
    private readonly MqttReconnectPolicy _reconnectPolicy;
    private readonly Channel<PendingPublish> _outbound;
    private readonly Channel<MqttReceivedMessage> _inbound;
    private readonly MqttPacketIdPool _packetIds = new();
    private readonly SemaphoreSlim _inflightSlots;
    private readonly Lock _sessionLock = new();
    private readonly Dictionary<ushort, PendingPublish> _inflight = [];
    private readonly Dictionary<ushort, PendingRequest> _requests = [];
    private readonly List<MqttTopicFilter> _subscriptions = [];
    private readonly HashSet<ushort> _exactlyOnceReceived = [];
    private readonly Func<MqttReceivedMessage, CancellationToken, ValueTask> _manualAck;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _stateLock = new();
    private int _state = StateNew;
    private long _generation;
    private long _sequence;
    private MqttConnection? _connection;
    private Task _session = Task.CompletedTask;
    private int _disposed;
    private volatile bool _disconnecting;

    public MqttClient(MqttClientOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _endpoint = $"{(options.Tls is null ? "mqtt" : "mqtts")}://{options.Host}:{options.Port}";
        _reconnectPolicy = new MqttReconnectPolicy(options.ReconnectDelay, options.MaxReconnectDelay);
        _outbound = Channel.CreateBounded<PendingPublish>(new BoundedChannelOptions(options.OutboundCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _inbound = Channel.CreateBounded<MqttReceivedMessage>(new BoundedChannelOptions(options.InboundCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });

        // A few identifiers stay free for SUBSCRIBE / UNSUBSCRIBE even when the in-flight window is 65535.
        var window = Math.Min(options.MaxInflight, ushort.MaxValue - 64);
        _inflightSlots = new SemaphoreSlim(window, window);
        _manualAck = AckReceivedAsync;
    }

    public bool IsConnected => Volatile.Read(ref _connection) is not null;

    public MqttClientCounters Counters { get; } = new();

    public ChannelReader<MqttReceivedMessage> Messages => _inbound.Reader;

    public event Action<MqttConnectionEvent>? ConnectionStateChanged;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            switch (_state)
            {
                case StateStopped:
                    throw new MqttClientException("This client was disconnected or disposed; create a new one.");
                case StateConnecting or StateRunning:
                    throw new InvalidOperationException("ConnectAsync was already called; the client reconnects by itself.");
            }

            _state = StateConnecting;
        }

        MqttConnection connection;
        try
        {
            connection = await OpenConnectionAsync(cancellationToken);
        }
        catch
        {
            lock (_stateLock)
            {
                if (_state == StateConnecting)
                    _state = StateNew;
            }

            throw;
        }

        lock (_stateLock)
        {
            if (_state == StateConnecting)
            {
                _state = StateRunning;
                var resubscribe = Activate(connection);
                _session = Task.Run(() => RunSessionAsync(connection, resubscribe, _stop.Token), CancellationToken.None);
                return;
            }
        }

        await connection.DisposeAsync();
        throw new MqttClientException("The client was disconnected while ConnectAsync was running.");
    }

    /// <summary>Sends DISCONNECT (the broker then discards the Will), stops the loops and completes <see cref="Messages"/>.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            if (_state == StateStopped)
                return;
            _state = StateStopped;
        }

        var connection = Volatile.Read(ref _connection);
        if (connection is not null)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(DisconnectSendTimeout);
            try
            {
                _disconnecting = true;
                await connection.SendAsync(MqttDisconnectPacket.Instance, timeout.Token);

                // §3.14.4: after DISCONNECT the client closes the connection. Closing before the broker has read what
                // was sent ahead of it (a batch of PUBACKs, a last QoS 0 publish) can make the kernel reset the
                // connection and throw those bytes away, so let the broker close first: it does once it has read the
                // DISCONNECT. Bounded, for a broker that never does or a receive loop held up by a full channel.
                await Task.WhenAny(connection.PeerClosed, Task.Delay(DisconnectCloseWait, _time, timeout.Token));
                _logger.LogInformation("MQTT {Endpoint} ({ClientId}): disconnected by the application.", _endpoint, _options.ClientId);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                _logger.LogDebug(ex, "MQTT {Endpoint}: DISCONNECT could not be sent; closing anyway.", _endpoint);
            }
        }

        await StopAsync(new MqttClientException("The client was disconnected before the message was acknowledged."), failMessages: false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await DisconnectAsync(CancellationToken.None);
        _stop.Dispose();
    }

    /// <summary>Ends the session loop and fails everything still waiting; <paramref name="failure"/> is what waiters see.</summary>
    private async Task StopAsync(MqttClientException failure, bool failMessages)
    {
        await _stop.CancelAsync();
        _outbound.Writer.TryComplete();
        await _session;
        FailOutstanding(failure);
        if (failMessages)
            _inbound.Writer.TryComplete(failure);
        else
            _inbound.Writer.TryComplete();
    }

    /// <summary>Fails queued and in-flight publishes and waiting requests (the client is not going to reconnect).</summary>
    private void FailOutstanding(MqttClientException failure)
    {
        while (_outbound.Reader.TryRead(out var queued))
            queued.Completion.TrySetException(failure);
        PendingPublish[] inflight;
        lock (_sessionLock)
        {
            inflight = [.. _inflight.Values];
            _inflight.Clear();
        }

        foreach (var pending in inflight)
        {
            _packetIds.Release(pending.PacketId);
            pending.Completion.TrySetException(failure);
        }

        FailRequests(failure.Message);
    }

    private void RaiseConnectionEvent(MqttConnectionEvent change)
    {
        try
        {
            ConnectionStateChanged?.Invoke(change);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "MQTT {Endpoint}: a ConnectionStateChanged handler threw; the session continues.", _endpoint);
        }
    }
}
