using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Modbus.Server;

/// <summary>
/// A Modbus server listening on TCP, speaking MBAP (Modbus TCP) or RTU frames over TCP. Each connection is a
/// <see cref="ModbusServerSession"/>; connections beyond <see cref="MaxConnections"/> are closed at once.
/// </summary>
public sealed class ModbusTcpServer : IAsyncDisposable
{
    public const int MaxConnections = 64;

    private readonly TcpListener _listener;
    private readonly IModbusFramer _framer;
    private readonly IModbusRequestHandler _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, (Socket Socket, CancellationTokenSource Cancel)> _connections = new();
    private long _nextConnectionId;
    private Task? _acceptLoop;

    public ModbusTcpServer(IPEndPoint endpoint, IModbusFramer framer, IModbusRequestHandler handler, ILogger? logger = null, ModbusCounters? counters = null)
    {
        _listener = new TcpListener(endpoint ?? throw new ArgumentNullException(nameof(endpoint)));
        _framer = framer ?? throw new ArgumentNullException(nameof(framer));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _logger = logger ?? NullLogger.Instance;
        Counters = counters ?? new ModbusCounters();
    }

    public ModbusCounters Counters { get; }

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
                _logger.LogWarning("Modbus server {Endpoint}: accept failed: {Reason}", LocalEndPoint, ex.Message);
                continue;
            }

            if (RefuseConnections || _connections.Count >= MaxConnections)
            {
                _logger.LogDebug("Modbus server {Endpoint}: closed connection from {Peer} (refusing or at {Max} connections).", LocalEndPoint, socket.RemoteEndPoint, MaxConnections);
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
            await ModbusServerSession.RunAsync(stream, _framer, _handler, Counters, _logger, peer, cancel.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug("Modbus server: connection {Peer} ended: {Reason}", peer, ex.Message);
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
