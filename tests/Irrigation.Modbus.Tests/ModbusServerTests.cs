using System.Net;
using System.Net.Sockets;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Pdu;
using Irrigation.Modbus.Server;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

/// <summary><see cref="ModbusTcpServer"/> and <see cref="ModbusServerSession"/> driven byte by byte from a raw socket.</summary>
public sealed class ModbusServerTests
{
    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(5);

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        return client;
    }

    private static async Task SendAsync(TcpClient client, string hex) => await client.GetStream().WriteAsync(Hex.Parse(hex));

    private static async Task SendAsync(TcpClient client, byte[] bytes) => await client.GetStream().WriteAsync(bytes);

    private static async Task<string> ReceiveAsync(TcpClient client, int length)
    {
        using var deadline = new CancellationTokenSource(ReadDeadline);
        var buffer = new byte[length];
        await client.GetStream().ReadExactlyAsync(buffer, deadline.Token);
        return Hex.Format(buffer);
    }

    /// <summary>True once the server has closed the connection (end of stream or reset).</summary>
    private static async Task<bool> ClosedByPeerAsync(TcpClient client)
    {
        using var deadline = new CancellationTokenSource(ReadDeadline);
        try
        {
            return await client.GetStream().ReadAsync(new byte[16], deadline.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static async Task<ModbusTcpServer> StartAsync(IModbusFramer framer, IModbusRequestHandler handler)
    {
        var server = new ModbusTcpServer(new IPEndPoint(IPAddress.Loopback, 0), framer, handler);
        server.Start();
        await Task.Yield();
        return server;
    }

    [Fact]
    public async Task Tcp_ReadHoldingRegisters_AnswersExactBytes()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var client = await ConnectAsync(server.Port);

        await SendAsync(client, "00 01 00 00 00 06 01 03 00 00 00 02");

        Assert.Equal("00 01 00 00 00 07 01 03 04 10 00 10 01", await ReceiveAsync(client, 13));
    }

    [Fact]
    public async Task Tcp_UnsupportedFunction2B_AnswersIllegalFunctionExactBytes()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var client = await ConnectAsync(server.Port);

        // Read Device Identification (0x2B / MEI 0x0E) is not served.
        await SendAsync(client, "00 07 00 00 00 05 01 2B 0E 01 00");

        Assert.Equal("00 07 00 00 00 03 01 AB 01", await ReceiveAsync(client, 9));
        Assert.Equal(1, server.Server.Counters[ModbusErrorKind.MalformedPdu]);
    }

    [Theory]
    [InlineData("00 02 00 00 00 06 01 03 00 00 00 00", "00 02 00 00 00 03 01 83 03")] // quantity 0
    [InlineData("00 03 00 00 00 06 01 03 00 00 00 7E", "00 03 00 00 00 03 01 83 03")] // 126 registers
    [InlineData("00 04 00 00 00 06 01 05 00 00 12 34", "00 04 00 00 00 03 01 85 03")] // coil value 0x1234
    [InlineData("00 05 00 00 00 03 01 03 00", "00 05 00 00 00 03 01 83 03")] // truncated PDU
    [InlineData("00 06 00 00 00 06 01 03 00 C7 00 02", "00 06 00 00 00 03 01 83 02")] // 199..200 crosses the block end
    [InlineData("00 08 00 00 00 06 01 06 13 88 00 01", "00 08 00 00 00 03 01 86 02")] // unmapped register 5000
    public async Task Tcp_BadRequest_AnswersExceptionExactBytes(string request, string response)
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var client = await ConnectAsync(server.Port);

        await SendAsync(client, request);

        Assert.Equal(response, await ReceiveAsync(client, 9));
    }

    [Fact]
    public async Task Tcp_BadProtocolId_ClosesThatConnectionAndKeepsServing()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var bad = await ConnectAsync(server.Port);

        await SendAsync(bad, "00 01 00 01 00 06 01 03 00 00 00 01");

        Assert.True(await ClosedByPeerAsync(bad));
        Assert.Equal(1, server.Server.Counters[ModbusErrorKind.MalformedFrame]);

        using var good = await ConnectAsync(server.Port);
        await SendAsync(good, "00 02 00 00 00 06 01 04 00 01 00 01");
        Assert.Equal("00 02 00 00 00 05 01 04 02 00 08", await ReceiveAsync(good, 11));
    }

    [Fact]
    public async Task Tcp_BadMbapLength_ClosesConnection()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var bad = await ConnectAsync(server.Port);

        await SendAsync(bad, "00 01 00 00 01 00 01 03 00 00 00 01");

        Assert.True(await ClosedByPeerAsync(bad));
    }

    [Fact]
    public async Task Tcp_PipelinedRequestsInOneWrite_AnsweredInOrder()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var client = await ConnectAsync(server.Port);

        await SendAsync(client, "00 0A 00 00 00 06 01 03 00 05 00 01" + "00 0B 00 00 00 06 01 02 00 00 00 04" + "00 0C 00 00 00 06 01 06 00 05 AB CD");

        Assert.Equal("00 0A 00 00 00 05 01 03 02 10 05", await ReceiveAsync(client, 11));
        Assert.Equal("00 0B 00 00 00 04 01 02 01 09", await ReceiveAsync(client, 10));
        Assert.Equal("00 0C 00 00 00 06 01 06 00 05 AB CD", await ReceiveAsync(client, 12));
    }

    [Fact]
    public async Task Tcp_RequestArrivingOneByteAtATime_IsAnswered()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var client = await ConnectAsync(server.Port);

        foreach (var b in Hex.Parse("12 34 00 00 00 06 01 04 00 02 00 01"))
        {
            await SendAsync(client, [b]);
            await Task.Delay(1);
        }

        Assert.Equal("12 34 00 00 00 05 01 04 02 00 0F", await ReceiveAsync(client, 11));
    }

    [Fact]
    public async Task Tcp_UnknownUnit_NotAnsweredButNextRequestIs()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var client = await ConnectAsync(server.Port);

        await SendAsync(client, "00 01 00 00 00 06 09 03 00 00 00 01");
        await SendAsync(client, "00 02 00 00 00 06 01 03 00 00 00 01");

        Assert.Equal("00 02 00 00 00 05 01 03 02 10 00", await ReceiveAsync(client, 11));
        Assert.Equal(2, server.Server.Counters.Requests);
        await Poll.UntilAsync(() => server.Server.Counters.Responses == 1, "the server counts the one response it sent");
    }

    [Fact]
    public async Task Rtu_BadCrcFrame_IgnoredAndFollowingGoodFrameAnswered()
    {
        await using var server = LoopbackModbusServer.Start("rtu");
        using var client = await ConnectAsync(server.Port);

        await SendAsync(client, "01 03 00 00 00 01 84 0B");
        await Poll.UntilAsync(() => server.Server.Counters[ModbusErrorKind.CrcMismatch] == 1, "the server counts the CRC mismatch");
        await SendAsync(client, "01 03 00 00 00 01 84 0A");

        // The first bytes back answer the good frame: nothing was sent for the bad one.
        Assert.Equal(Hex.Format(ReferenceCrc.Rtu("01 03 02 10 00")), await ReceiveAsync(client, 7));
        Assert.Equal(1, server.Server.Counters.Requests);
    }

    [Fact]
    public async Task Rtu_UnsupportedFunction_AnswersIllegalFunctionWithCrc()
    {
        await using var server = LoopbackModbusServer.Start("rtu");
        using var client = await ConnectAsync(server.Port);

        await SendAsync(client, ReferenceCrc.Rtu("01 2B 0E 01 00"));

        Assert.Equal(Hex.Format(ReferenceCrc.Rtu("01 AB 01")), await ReceiveAsync(client, 5));
    }

    [Fact]
    public async Task Rtu_WriteMultipleRegistersSpecExample_AnswersEchoWithCrc()
    {
        await using var server = LoopbackModbusServer.Start("rtu");
        using var client = await ConnectAsync(server.Port);

        await SendAsync(client, ReferenceCrc.Rtu("01 10 00 01 00 02 04 00 0A 01 02"));

        Assert.Equal(Hex.Format(ReferenceCrc.Rtu("01 10 00 01 00 02")), await ReceiveAsync(client, 8));
        var stored = new ushort[2];
        Assert.True(server.Store.TryRead(ModbusTable.HoldingRegisters, 1, stored));
        Assert.Equal(new ushort[] { 0x000A, 0x0102 }, stored);
    }

    [Fact]
    public async Task Rtu_BroadcastWrite_AppliedButNotAnswered()
    {
        var store = new ModbusDataStore().AddBlock(ModbusTable.HoldingRegisters, 0, 10);
        var handler = new ModbusDataStoreHandler(new Dictionary<byte, ModbusDataStore> { [0] = store, [1] = store });
        await using var server = await StartAsync(ModbusRtuFramer.Instance, handler);
        using var client = await ConnectAsync(server.LocalEndPoint.Port);

        await SendAsync(client, ReferenceCrc.Rtu("00 06 00 03 12 34"));
        await SendAsync(client, ReferenceCrc.Rtu("01 03 00 03 00 01"));

        Assert.Equal(Hex.Format(ReferenceCrc.Rtu("01 03 02 12 34")), await ReceiveAsync(client, 7));
        Assert.Equal(2, server.Counters.Requests);
        await Poll.UntilAsync(() => server.Counters.Responses == 1, "the server counts the one response it sent");
    }

    [Fact]
    public async Task Tcp_UnitZero_IsAnswered()
    {
        var store = new ModbusDataStore().AddBlock(ModbusTable.HoldingRegisters, 0, 10);
        await using var server = await StartAsync(ModbusTcpFramer.Instance, new ModbusDataStoreHandler(new Dictionary<byte, ModbusDataStore> { [0] = store }));
        using var client = await ConnectAsync(server.LocalEndPoint.Port);

        await SendAsync(client, "00 01 00 00 00 06 00 06 00 03 12 34");

        Assert.Equal("00 01 00 00 00 06 00 06 00 03 12 34", await ReceiveAsync(client, 12));
    }

    [Fact]
    public async Task Tcp_HandlerThrows_AnswersServerDeviceFailure()
    {
        await using var server = await StartAsync(ModbusTcpFramer.Instance, new ThrowingHandler());
        using var client = await ConnectAsync(server.LocalEndPoint.Port);

        await SendAsync(client, "00 01 00 00 00 06 01 03 00 00 00 01");

        Assert.Equal("00 01 00 00 00 03 01 83 04", await ReceiveAsync(client, 9));
    }

    [Fact]
    public async Task DropConnections_OpenConnection_ClosedByServer()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        using var client = await ConnectAsync(server.Port);
        await Poll.UntilAsync(() => server.Server.ConnectionCount == 1, "the server tracks the connection");

        server.Server.DropConnections();

        Assert.True(await ClosedByPeerAsync(client));
        await Poll.UntilAsync(() => server.Server.ConnectionCount == 0, "the session ends");
    }

    [Fact]
    public async Task RefuseConnections_NewConnection_ClosedAtOnce()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        server.Server.RefuseConnections = true;
        using var refused = await ConnectAsync(server.Port);

        Assert.True(await ClosedByPeerAsync(refused));

        server.Server.RefuseConnections = false;
        using var accepted = await ConnectAsync(server.Port);
        await SendAsync(accepted, "00 01 00 00 00 06 01 03 00 00 00 01");
        Assert.Equal("00 01 00 00 00 05 01 03 02 10 00", await ReceiveAsync(accepted, 11));
    }

    [Fact]
    public async Task DisposeAsync_WithOpenConnection_ClosesItAndStopsListening()
    {
        var server = LoopbackModbusServer.Start("tcp");
        var port = server.Port;
        using var client = await ConnectAsync(port);
        await Poll.UntilAsync(() => server.Server.ConnectionCount == 1, "the server tracks the connection");

        await server.DisposeAsync();

        Assert.True(await ClosedByPeerAsync(client));
        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(port));
    }

    private sealed class ThrowingHandler : IModbusRequestHandler
    {
        public ValueTask<ModbusResponse?> HandleAsync(byte unitId, ModbusRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("meter table corrupt");
    }
}
