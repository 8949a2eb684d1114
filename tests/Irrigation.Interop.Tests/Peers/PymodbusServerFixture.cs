using Irrigation.Modbus.Client;
using Xunit;

namespace Irrigation.Interop.Tests.Peers;

/// <summary>
/// Two pymodbus 3.0 servers serving the data documented in peers/pymodbus_server.py: one speaking Modbus TCP
/// (socket framer), one speaking RTU frames over TCP (RTU framer). Started once for the test class.
/// </summary>
public sealed class PymodbusServerFixture : IAsyncLifetime
{
    public const string Tcp = "tcp";
    public const string RtuOverTcp = "rtu";

    private PeerServerProcess? _socketServer;
    private PeerServerProcess? _rtuServer;

    public async Task InitializeAsync()
    {
        await DebianPeers.RequirePymodbusAsync();
        var script = DebianPeers.Script("pymodbus_server.py");
        var socket = PeerServerProcess.StartAsync(DebianPeers.Python, script, "socket");
        var rtu = PeerServerProcess.StartAsync(DebianPeers.Python, script, "rtu");
        try
        {
            await Task.WhenAll(socket, rtu);
        }
        catch
        {
            // Stop whichever did start: a failed InitializeAsync is not followed by DisposeAsync.
            foreach (var started in new[] { socket, rtu }.Where(t => t.IsCompletedSuccessfully))
                await started.Result.DisposeAsync();
            throw;
        }

        _socketServer = await socket;
        _rtuServer = await rtu;
    }

    /// <summary>The server for <paramref name="framing"/> ("tcp" or "rtu").</summary>
    internal PeerServerProcess Server(string framing) => framing switch
    {
        Tcp => _socketServer ?? throw new InvalidOperationException("pymodbus socket server not started."),
        RtuOverTcp => _rtuServer ?? throw new InvalidOperationException("pymodbus RTU server not started."),
        _ => throw new ArgumentOutOfRangeException(nameof(framing), framing, "expected tcp or rtu"),
    };

    /// <summary>Our client for <paramref name="framing"/>: one attempt per request, so a failure shows at once.</summary>
    public ModbusClient CreateClient(string framing)
    {
        var options = new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(2), Retries = 0 };
        var port = Server(framing).Port;
        return framing == Tcp
            ? ModbusClient.CreateTcp("127.0.0.1", port, options)
            : ModbusClient.CreateRtuOverTcp("127.0.0.1", port, options);
    }

    public async Task DisposeAsync()
    {
        if (_socketServer is not null)
            await _socketServer.DisposeAsync();
        if (_rtuServer is not null)
            await _rtuServer.DisposeAsync();
    }
}
