using System.Net;
using Irrigation.Links;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Server;

namespace Irrigation.Modbus.Tests.TestSupport;

/// <summary>
/// A real <see cref="ModbusTcpServer"/> on 127.0.0.1, port 0, serving one <see cref="ModbusDataStore"/> as
/// <see cref="UnitId"/>. Discrete inputs hold <c>address % 3 == 0</c>; input registers hold <c>address * 7 + 1</c>;
/// holding registers hold <c>address + 0x1000</c>; coils start cleared.
/// </summary>
internal sealed class LoopbackModbusServer : IAsyncDisposable
{
    public const byte UnitId = 1;
    public const byte SilentUnitId = 9;
    public const int TableLength = 200;

    private LoopbackModbusServer(IModbusFramer framer, ModbusDataStore store, ModbusTcpServer server)
    {
        Framer = framer;
        Store = store;
        Server = server;
    }

    public IModbusFramer Framer { get; }

    public ModbusDataStore Store { get; }

    public ModbusTcpServer Server { get; }

    public int Port => Server.LocalEndPoint.Port;

    public static TheoryData<string> FramerNames => new() { "tcp", "rtu" };

    public static IModbusFramer FramerNamed(string name) => name switch
    {
        "tcp" => ModbusTcpFramer.Instance,
        "rtu" => ModbusRtuFramer.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public static LoopbackModbusServer Start(string framerName) => Start(FramerNamed(framerName));

    public static LoopbackModbusServer Start(IModbusFramer framer)
    {
        var store = new ModbusDataStore()
            .AddBlock(ModbusTable.Coils, 0, TableLength)
            .AddBlock(ModbusTable.DiscreteInputs, 0, TableLength)
            .AddBlock(ModbusTable.HoldingRegisters, 0, TableLength)
            .AddBlock(ModbusTable.InputRegisters, 0, TableLength);
        var inputs = new ushort[TableLength];
        var inputRegisters = new ushort[TableLength];
        var holding = new ushort[TableLength];
        for (var i = 0; i < TableLength; i++)
        {
            inputs[i] = (ushort)(i % 3 == 0 ? 1 : 0);
            inputRegisters[i] = (ushort)((i * 7) + 1);
            holding[i] = (ushort)(i + 0x1000);
        }

        store.TryWrite(ModbusTable.DiscreteInputs, 0, inputs);
        store.TryWrite(ModbusTable.InputRegisters, 0, inputRegisters);
        store.TryWrite(ModbusTable.HoldingRegisters, 0, holding);

        var handler = new ModbusDataStoreHandler(new Dictionary<byte, ModbusDataStore> { [UnitId] = store });
        var server = new ModbusTcpServer(new IPEndPoint(IPAddress.Loopback, 0), framer, handler);
        server.Start();
        return new LoopbackModbusServer(framer, store, server);
    }

    /// <summary>A client for this server; tests that expect success get a generous timeout for a busy machine.</summary>
    public ModbusClient CreateClient(ModbusClientOptions? options = null) =>
        new(Framer, new TcpStreamConnector("127.0.0.1", Port), options ?? new ModbusClientOptions { RequestTimeout = TimeSpan.FromSeconds(3) });

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
