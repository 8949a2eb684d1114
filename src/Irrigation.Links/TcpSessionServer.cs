using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Irrigation.Links;

/// <summary>
/// A TCP listener that runs one protocol session per connection (<c>serve(stream, peer, cancellation)</c>), closes
/// connections beyond its limit at once, and offers the fault injection the simulator uses: refuse new connections,
/// drop the open ones. The Modbus server and the DL/T 645 meter server are this plus their session.
/// </summary>
public sealed class TcpSessionServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _maxConnections;
    private readonly Func<Stream, string, CancellationToken, Task> _serve;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, (Socket Socket, CancellationTokenSource Cancel)> _connections = new();
    private long _nextConnectionId;
    private Task? _acceptLoop;

    /// <param name="name">For logs: "Modbus server", "DL/T 645 server".</param>
    public TcpSessionServer(IPEndPoint endpoint, int maxConnections, Func<Stream, string, CancellationToken, Task> serve, ILogger logger, string name)
    {
        _listener = new TcpListener(endpoint ?? throw new ArgumentNullException(nameof(endpoint)));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConnections);
        _maxConnections = maxConnections;
        _serve = serve ?? throw new ArgumentNullException(nameof(serve));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _name = name;
    }

    /// <summary>The bound endpoint (useful with port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int ConnectionCount => _connections.Count;

    /// <summary>Fault injection: while true, new connections are accepted and closed at once.</summary>
    public bool RefuseConnections { get; set; }

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
                // The session ended on its own between listing and cancelling: nothing left to stop.
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
                _logger.LogWarning("{Server} {Endpoint}: accept failed: {Reason}", _name, LocalEndPoint, ex.Message);
                continue;
            }

            if (RefuseConnections || _connections.Count >= _maxConnections)
            {
                _logger.LogDebug("{Server} {Endpoint}: closed connection from {Peer} (refusing or at {Max} connections).", _name, LocalEndPoint, socket.RemoteEndPoint, _maxConnections);
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
            await _serve(stream, peer, cancel.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug("{Server}: connection {Peer} ended: {Reason}", _name, peer, ex.Message);
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
