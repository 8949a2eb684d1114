using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// The instance's one NATS connection to the cluster (it moves to another node by itself when one is lost) and its
/// JetStream context; shared by the telemetry share and the instance's view of the whole stream.
/// </summary>
public sealed class SharedStreamConnection : IAsyncDisposable
{
    private readonly SharedStreamOptions _options;
    private readonly ILogger<SharedStreamConnection> _logger;
    private readonly NatsConnection _connection;
    private readonly SemaphoreSlim _connect = new(1, 1);

    public SharedStreamConnection(IOptions<SharedStreamOptions> options, string instanceId, ILogger<SharedStreamConnection> logger)
    {
        _options = options.Value;
        _logger = logger;
        _connection = new NatsConnection(new NatsOpts
        {
            Url = _options.Enabled ? _options.Servers : NatsOpts.Default.Url, // never connected when off
            Name = instanceId,
            AuthOpts = string.IsNullOrEmpty(_options.Username) ? NatsAuthOpts.Default : new NatsAuthOpts { Username = _options.Username, Password = _options.Password },
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(200),
            ReconnectWaitMax = TimeSpan.FromSeconds(5),
            // The view of every telemetry message (StationViewFeed) drops rather than stall the connection's reader.
            SubPendingChannelCapacity = 10_000,
        });
        JetStream = new NatsJSContext(_connection);
        InstanceId = instanceId;
    }

    public string InstanceId { get; }

    public NatsJSContext JetStream { get; }

    /// <summary>The core NATS connection (plain subscriptions).</summary>
    public NatsConnection Connection => _connection;

    public bool IsConnected => _connection.ConnectionState == NatsConnectionState.Open;

    /// <summary>The node this instance is connected to, for logs.</summary>
    public string Node => _connection.ServerInfo is { } info ? $"{info.Name} ({info.Host}:{info.Port})" : "none";

    /// <summary>Connects, retrying with back-off until a node answers or <paramref name="stoppingToken"/> fires.</summary>
    public async Task ConnectAsync(CancellationToken stoppingToken)
    {
        await _connect.WaitAsync(stoppingToken);
        try
        {
            var delay = TimeSpan.FromSeconds(1);
            while (_connection.ConnectionState != NatsConnectionState.Open)
            {
                try
                {
                    await _connection.ConnectAsync();
                    _logger.LogInformation("Shared stream: connected to NATS node {Node}.", Node);
                }
                catch (NatsException ex)
                {
                    // A wrong password looks the same from here as a node that is down: name the user so the log tells.
                    _logger.LogWarning("Shared stream: cannot connect to a NATS node of {Servers} as {User} ({Reason}); retrying in {Delay:0} s.",
                        _options.Servers, string.IsNullOrEmpty(_options.Username) ? "no user" : $"user '{_options.Username}'", Describe(ex), delay.TotalSeconds);
                    await Task.Delay(delay, stoppingToken);
                    delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
                }
            }
        }
        finally
        {
            _connect.Release();
        }
    }

    /// <summary>
    /// Creates (or updates) a consumer on the stream, retrying while the cluster cannot answer — during a leader
    /// election JetStream requests time out for seconds (docs/scale-out.md).
    /// </summary>
    public async Task<INatsJSConsumer> ConsumerAsync(ConsumerConfig config, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            await ConnectAsync(stoppingToken);
            try
            {
                return await JetStream.CreateOrUpdateConsumerAsync(_options.Stream, config, stoppingToken);
            }
            catch (Exception ex) when (ex is NatsException or NatsJSException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning("Shared stream: consumer {Consumer} on {Stream} not ready ({Reason}); retrying in {Delay:0} s.", config.Name ?? config.DurableName, _options.Stream, ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(10, delay.TotalSeconds * 2));
            }
        }
    }

    /// <summary>The exception's messages down to the innermost: the client wraps the server's "Authorization Violation".</summary>
    private static string Describe(Exception ex)
    {
        var reasons = new List<string>();
        for (var e = ex; e is not null && reasons.Count < 4; e = e.InnerException)
        {
            if (!reasons.Contains(e.Message))
                reasons.Add(e.Message);
        }

        return string.Join(": ", reasons);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _connect.Dispose();
    }
}
