using System.Net;
using Irrigation.Links;
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

    private readonly TcpSessionServer _server;

    public ModbusTcpServer(IPEndPoint endpoint, IModbusFramer framer, IModbusRequestHandler handler, ILogger? logger = null, ModbusCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(framer);
        ArgumentNullException.ThrowIfNull(handler);
        var log = logger ?? NullLogger.Instance;
        var served = counters ?? new ModbusCounters();
        Counters = served;
        _server = new TcpSessionServer(endpoint, MaxConnections, (stream, peer, cancel) => ModbusServerSession.RunAsync(stream, framer, handler, served, log, peer, cancel), log, "Modbus server");
    }

    public ModbusCounters Counters { get; }

    /// <summary>The bound endpoint (useful with port 0).</summary>
    public IPEndPoint LocalEndPoint => _server.LocalEndPoint;

    public int ConnectionCount => _server.ConnectionCount;

    /// <summary>Fault injection: while true, new connections are accepted and closed at once.</summary>
    public bool RefuseConnections
    {
        get => _server.RefuseConnections;
        set => _server.RefuseConnections = value;
    }

    public void Start() => _server.Start();

    /// <summary>Fault injection: closes every open connection.</summary>
    public void DropConnections() => _server.DropConnections();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
