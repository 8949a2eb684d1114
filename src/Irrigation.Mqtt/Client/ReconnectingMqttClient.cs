using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using NetClient = MQTTnet.IMqttClient;
using NetOptions = MQTTnet.MqttClientOptions;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// <see cref="IMqttClient"/> on MQTTnet. MQTTnet speaks the protocol (packets, formatter, TCP/TLS, keep-alive, QoS
/// flows); this class adds what an unattended gateway or server needs and MQTTnet 5 leaves to the application:
/// reconnect with jittered exponential back-off and resubscribe, publishes that wait out an outage instead of failing,
/// a bounded inbound channel, and acknowledgements that are dropped — never sent on the wrong connection — when the
/// connection that delivered a message is gone.
/// </summary>
public sealed partial class ReconnectingMqttClient : IMqttClient
{
    private const int StateNew = 0;
    private const int StateConnecting = 1;
    private const int StateRunning = 2;
    private const int StateStopped = 3;

    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(5);
    private const int SocketBufferBytes = 256 * 1024;
    private static readonly TimeSpan InboundPoll = TimeSpan.FromMilliseconds(2);

    private readonly MqttClientOptions _options;
    private readonly MqttBrokerEndpoint[] _brokers;
    private readonly NetOptions[] _netOptions;
    private readonly MqttServerCertificateValidator? _certificates;
    private readonly CoalescingStreamProvider _streams;
    private readonly NetClient _client;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _scheme;
    private readonly MqttReconnectPolicy _reconnectPolicy;
    private readonly Channel<MqttReceivedMessage> _inbound;
    private readonly SemaphoreSlim _inflight;
    private readonly Channel<PendingPublish> _outbound;
    private readonly Func<MqttReceivedMessage, CancellationToken, ValueTask> _manualAck;
    private readonly SemaphoreSlim _reconnectNeeded = new(0, 1);
    private readonly SemaphoreSlim _subscriptionRetryNeeded = new(0, 1);
    private readonly Lock _lock = new();
    private readonly List<MqttTopicFilter> _subscriptions = [];

    // Filter -> the connection generation on which the broker granted it; a filter is granted now only if that is the current one.
    private readonly Dictionary<string, long> _grantedOn = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    // Acks check the connection generation and send while holding this gate; a reconnect passes through it after the
    // generation moved on, so an ack can never reach a newer connection, where the packet id means another message.
    private readonly SemaphoreSlim _ackGate = new(1, 1);
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state = StateNew;
    private long _generation;
    private Task _reconnectLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;
    private Task _subscriptionRetryLoop = Task.CompletedTask;
    private int _disposed;
    private bool _handlerWaiting;

    // The broker of the current (or last) connection, an index into _brokers, and its address for log lines.
    private volatile int _broker;
    private volatile string _endpoint;

    // The generation whose connection this client dropped itself (a PUBACK timed out) and why; -1 when none.
    private long _droppedGeneration = -1;
    private volatile string? _dropReason;

    public ReconnectingMqttClient(MqttClientOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _brokers = [.. options.Endpoints()];
        _scheme = options.Tls is null ? "mqtt" : "mqtts";
        _endpoint = Describe(_brokers[0]);
        _reconnectPolicy = new MqttReconnectPolicy(options.ReconnectDelay, options.MaxReconnectDelay);
        _inbound = Channel.CreateBounded<MqttReceivedMessage>(new BoundedChannelOptions(options.InboundCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
        _inflight = new SemaphoreSlim(options.MaxInflight, options.MaxInflight);
        _outbound = Channel.CreateBounded<PendingPublish>(new BoundedChannelOptions(Math.Max(1000, options.MaxInflight * 2))
        {
            FullMode = BoundedChannelFullMode.Wait, // writers wait in call order
            SingleReader = true,
        });
        _manualAck = AckOneAsync;
        _certificates = options.Tls is null ? null : new MqttServerCertificateValidator(options.Tls.CaCertificatePath);
        _streams = new CoalescingStreamProvider(SocketBufferBytes, WaitForInboundRoomAsync);
        _netOptions = [.. _brokers.Select(b => BuildOptions(options, b, _certificates, _streams))];
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageReceivedAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    public bool IsConnected => _client.IsConnected;

    /// <inheritdoc />
    public MqttBrokerEndpoint? ConnectedBroker => _client.IsConnected ? _brokers[_broker] : null;

    /// <inheritdoc />
    public bool SubscriptionsGranted
    {
        get
        {
            if (!_client.IsConnected)
                return false;
            var generation = Interlocked.Read(ref _generation);
            lock (_lock)
                return _subscriptions.All(s => _grantedOn.TryGetValue(s.Filter, out var on) && on == generation);
        }
    }

    public MqttClientCounters Counters { get; } = new();

    public ChannelReader<MqttReceivedMessage> Messages => _inbound.Reader;

    public event Action<MqttConnectionEvent>? ConnectionStateChanged;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
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

        try
        {
            await ConnectAnyAsync(0, cancellationToken);
        }
        catch
        {
            lock (_lock)
            {
                if (_state == StateConnecting)
                    _state = StateNew;
            }

            throw;
        }

        lock (_lock)
        {
            if (_state == StateConnecting)
            {
                _state = StateRunning;
                _reconnectLoop = Task.Run(() => ReconnectLoopAsync(_stop.Token), CancellationToken.None);
                _sendLoop = Task.Run(() => SendLoopAsync(_stop.Token), CancellationToken.None);
                _subscriptionRetryLoop = Task.Run(() => SubscriptionRetryLoopAsync(_stop.Token), CancellationToken.None);
                if (!_client.IsConnected && _options.AutoReconnect)
                    SignalReconnect(); // lost between CONNACK and here: the loop takes over
                return;
            }
        }

        throw new MqttClientException("The client was disconnected while ConnectAsync was running.");
    }

    /// <summary>Sends DISCONNECT (the broker then discards the Will), stops reconnecting and completes <see cref="Messages"/>.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_state == StateStopped)
                return;
            _state = StateStopped;
        }

        await _stop.CancelAsync();
        await _reconnectLoop;
        await _sendLoop;
        await _subscriptionRetryLoop;
        if (_client.IsConnected)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(DisconnectTimeout);
            try
            {
                // A round trip first: the broker answers PINGREQ only after it has processed everything sent before it,
                // so acks given just before a planned stop take effect instead of being lost in the close.
                using (var ping = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
                {
                    ping.CancelAfter(_options.RequestTimeout);
                    await _client.PingAsync(ping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), timeout.Token);
                _logger.LogInformation("MQTT {Endpoint} ({ClientId}): disconnected by the application.", _endpoint, _options.ClientId);
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or ObjectDisposedException or SocketException or IOException)
            {
                _logger.LogDebug(ex, "MQTT {Endpoint}: DISCONNECT could not be sent; closing anyway.", _endpoint);
            }
        }

        _connected.TrySetException(new MqttClientException("The client was disconnected."));
        _inbound.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await DisconnectAsync(CancellationToken.None);
        _client.Dispose();
        _stop.Dispose();

        // The semaphores are left to the GC (they hold no wait handle): a publish completing late still releases its slot.
    }

    private string Describe(MqttBrokerEndpoint broker) => $"{_scheme}://{broker}";

    private static NetOptions BuildOptions(MqttClientOptions options, MqttBrokerEndpoint broker, MqttServerCertificateValidator? validator, CoalescingStreamProvider streams)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithStreamProvider(streams)
            .WithClientId(options.ClientId)
            .WithProtocolVersion(options.Protocol == MqttProtocol.V311 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500)
            .WithCleanSession(options.CleanSession)
            .WithKeepAlivePeriod(options.KeepAlive)
            .WithTimeout(options.ConnectTimeout);
        if (options.Protocol == MqttProtocol.V500)
        {
            if (!options.CleanSession)
                builder.WithSessionExpiryInterval((uint)options.SessionExpiry.TotalSeconds);
            builder.WithMaximumPacketSize((uint)options.MaxPacketSize);
            builder.WithReceiveMaximum((ushort)options.ReceiveMaximum);
        }

        if (options.Username is not null)
            builder.WithCredentials(options.Username, options.Password);
        if (options.Will is { } will)
        {
            builder.WithWillTopic(will.Topic)
                .WithWillPayload(will.Payload.ToArray())
                .WithWillQualityOfServiceLevel((MqttQualityOfServiceLevel)will.QualityOfService)
                .WithWillRetain(will.Retain);
        }

        if (options.Tls is { } tls)
            builder.WithTlsOptions(t => ConfigureTls(t, tls, broker.Host, validator!));
        // The socket is ours (CoalescingStream): MQTTnet's own closes with SO_LINGER 0, a reset that threw away PUBACKs
        // still in the send buffer when a planned stop followed a batch of acks (the broker redelivered those messages),
        // uses 8 KiB socket buffers, and reads each packet in two or three system calls.
        return builder.Build();
    }

    private static void ConfigureTls(MqttClientTlsOptionsBuilder builder, MqttTlsOptions tls, string host, MqttServerCertificateValidator validator)
    {
        builder.UseTls().WithTargetHost(tls.TargetHost ?? host).WithRevocationMode(X509RevocationMode.NoCheck);
        builder.WithCertificateValidationHandler(e => validator.Validate(e.Certificate, e.Chain, e.SslPolicyErrors));
        if (tls.ClientCertificatePath is { } certPath)
        {
            try
            {
                builder.WithClientCertificates([X509Certificate2.CreateFromPemFile(certPath, tls.ClientKeyPath)]);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new MqttClientException($"Could not load the client certificate {certPath} / key {tls.ClientKeyPath}: {ex.Message}", ex);
            }
        }
    }

    /// <summary>
    /// The read gate of the socket: returns once the inbound channel is at most half full and MQTTnet's handler is not
    /// waiting for room. Waiting for mere room would let every freed slot admit another 64 KiB read (some 90 messages) into
    /// MQTTnet's unbounded queue while the handler delivered one; at half full the handler can place all of a read at once.
    /// Polls every 2 ms, and only while the application is behind.
    /// </summary>
    private async ValueTask WaitForInboundRoomAsync(CancellationToken cancellationToken)
    {
        while (ReadingHeldBack)
            await Task.Delay(InboundPoll, _time, cancellationToken);
    }

    /// <summary>True while the socket is not read because the application is behind: an answer from the broker may wait unread.</summary>
    private bool ReadingHeldBack =>
        (_inbound.Reader.Count > _options.InboundCapacity / 2 || Volatile.Read(ref _handlerWaiting)) && !_inbound.Reader.Completion.IsCompleted;

    private void RaiseConnectionEvent(MqttConnectionEvent change)
    {
        try
        {
            ConnectionStateChanged?.Invoke(change);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "MQTT {Endpoint}: a ConnectionStateChanged handler threw; the client continues.", _endpoint);
        }
    }
}
