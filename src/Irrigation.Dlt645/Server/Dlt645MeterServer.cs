using System.Net;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Irrigation.Links;
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

    private readonly TcpSessionServer _server;

    public Dlt645MeterServer(IPEndPoint endpoint, IDlt645MeterHandler handler, ILogger? logger = null, Dlt645Counters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var log = logger ?? NullLogger.Instance;
        var served = counters ?? new Dlt645Counters();
        Counters = served;
        _server = new TcpSessionServer(endpoint, MaxConnections, (stream, peer, cancel) => Dlt645ServerSession.RunAsync(stream, handler, served, log, peer, ReplyPreambleLength, cancel), log, "DL/T 645 server");
    }

    public Dlt645Counters Counters { get; }

    /// <summary>FEH bytes before each reply. Meters differ (none to four); four exercises the client's preamble skip.</summary>
    public int ReplyPreambleLength { get; init; } = Dlt645FrameFormatter.DefaultPreambleLength;

    /// <summary>The bound endpoint (useful with port 0).</summary>
    public IPEndPoint LocalEndPoint => _server.LocalEndPoint;

    public int ConnectionCount => _server.ConnectionCount;

    public void Start() => _server.Start();

    /// <summary>Fault injection: closes every open connection.</summary>
    public void DropConnections() => _server.DropConnections();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
