using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Dlt645.Server;

/// <summary>
/// A DL/T 645 meter (or a bus of them behind one handler) listening on TCP, as a serial server in transparent mode
/// presents it. Each connection is a <see cref="Dlt645ServerSession"/>; connections beyond
/// <see cref="MaxConnections"/> are closed at once.
/// </summary>
public sealed class Dlt645MeterServer : IAsyncDisposable
{
    public const int MaxConnections = 16;

    private readonly TcpListener _listener;
    private readonly IDlt645MeterHandler _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, (Socket Socket, CancellationTokenSource Cancel)> _connections = new();
    private long _nextConnectionId;
    private Task? _acceptLoop;

    public Dlt645MeterServer(IPEndPoint endpoint, IDlt645MeterHandler handler, ILogger? logger = null, Dlt645Counters? counters = null)
    {
        _listener = new TcpListener(endpoint ?? throw new ArgumentNullException(nameof(endpoint)));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _logger = logger ?? NullLogger.Instance;
        Counters = counters ?? new Dlt645Counters();
    }

    public Dlt645Counters Counters { get; }

    /// <summary>FEH bytes before each reply. Meters differ (none to four); four exercises the client's preamble skip.</summary>
    public int ReplyPreambleLength { get; init; } = Dlt645FrameFormatter.DefaultPreambleLength;

    /// <summary>The bound endpoint (useful with port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int ConnectionCount => _connections.Count;

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    /// <summary>Fault injection: closes every open connection.</summary>
    public void DropConnections()
    {
        foreach (var (_, connection) in _connections)
        {
            connection.Socket.Close();
            try
            {
                connection.Cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The session ended on its own between listing and cancelling.
                continue;
            }
        }
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.LogWarning("DL/T 645 server {Endpoint}: accept failed: {Reason}", LocalEndPoint, ex.Message);
                continue;
            }

            if (_connections.Count >= MaxConnections)
            {
                socket.Close();
                continue;
            }

            socket.NoDelay = true;
            var id = Interlocked.Increment(ref _nextConnectionId);
            var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _connections[id] = (socket, cancel);
            _ = ServeAsync(id, socket, cancel);
        }
    }

    private async Task ServeAsync(long id, Socket socket, CancellationTokenSource cancel)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            await Dlt645ServerSession.RunAsync(stream, _handler, Counters, _logger, peer, ReplyPreambleLength, cancel.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug("DL/T 645 server: connection {Peer} ended: {Reason}", peer, ex.Message);
        }
        finally
        {
            _connections.TryRemove(id, out _);
            cancel.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropConnections();
        if (_acceptLoop is not null)
            await _acceptLoop;
        _stop.Dispose();
    }
}
