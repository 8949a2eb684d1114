using System.Net;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Server;

namespace Irrigation.Interop.Tests.Peers;

/// <summary>Our <see cref="ModbusTcpServer"/> on 127.0.0.1, port 0, serving a fresh <see cref="MeterDataStore"/> as unit 1.</summary>
internal sealed class MeterServer : IAsyncDisposable
{
    private readonly ModbusTcpServer _server;

    public MeterServer(IModbusFramer framer)
    {
        Store = MeterDataStore.Create();
        var handler = new ModbusDataStoreHandler(new Dictionary<byte, ModbusDataStore> { [MeterDataStore.Unit] = Store });
        _server = new ModbusTcpServer(new IPEndPoint(IPAddress.Loopback, 0), framer, handler);
        _server.Start();
    }

    public ModbusDataStore Store { get; }

    public int Port => _server.LocalEndPoint.Port;

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
