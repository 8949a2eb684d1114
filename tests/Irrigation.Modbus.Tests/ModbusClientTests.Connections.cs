using System.Net;
using System.Net.Sockets;
using Irrigation.Links;
using Irrigation.Modbus.Client;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

/// <summary><see cref="ModbusClient"/> connection life cycle: drops, refused connects, back-off, cancellation, disposal.</summary>
public sealed partial class ModbusClientTests
{
    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadAsync_AfterServerDroppedConnection_ReconnectsAndSucceeds(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient();
        Assert.Equal(HoldingAt(0, 2), await client.ReadHoldingRegistersAsync(Unit, 0, 2));
        await Poll.UntilAsync(() => server.Server.ConnectionCount == 1, "the server has the connection");

        server.Server.DropConnections();
        await Poll.UntilAsync(() => !client.IsConnected, "the client notices the drop");

        Assert.Equal(HoldingAt(2, 2), await client.ReadHoldingRegistersAsync(Unit, 2, 2));
        Assert.True(client.IsConnected);
        await Poll.UntilAsync(() => server.Server.ConnectionCount == 1, "the old session is gone and the new one is open");
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadAsync_RightAfterServerDroppedConnection_RetryOnNewConnectionSucceeds(string framing)
    {
        await using var server = LoopbackModbusServer.Start(framing);
        await using var client = server.CreateClient(new ModbusClientOptions { Retries = 1, RequestTimeout = TimeSpan.FromSeconds(3) });
        Assert.Equal(HoldingAt(0, 2), await client.ReadHoldingRegistersAsync(Unit, 0, 2));
        await Poll.UntilAsync(() => server.Server.ConnectionCount == 1, "the server has the connection");

        server.Server.DropConnections();

        // Whether the client has noticed yet or not, one retry on a fresh connection is enough.
        Assert.Equal(HoldingAt(4, 2), await client.ReadHoldingRegistersAsync(Unit, 4, 2));
    }

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task ReadAsync_ClosedPort_ThrowsConnectionExceptionAndCountsFailures(string framing)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var client = new ModbusClient(LoopbackModbusServer.FramerNamed(framing), new TcpStreamConnector("127.0.0.1", port), Options(retries: 1));

        var ex = await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));

        Assert.IsType<SocketException>(ex.InnerException);
        Assert.Equal(2, client.Counters[ModbusErrorKind.ConnectionFailure]);
        Assert.Equal(0, client.Counters.Requests);
        Assert.False(client.IsConnected);
        Assert.Equal($"{framing}://127.0.0.1:{port}", client.Description);
    }

    [Fact]
    public async Task ReadAsync_RepeatedConnectFailures_BacksOffThenReconnects()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        var time = new ManualTimeProvider();
        var failing = true;
        var attempts = 0;
        var connector = new DelegateStreamConnector("flaky", cancellationToken =>
        {
            attempts++;
            return failing
                ? ValueTask.FromException<Stream>(new SocketException((int)SocketError.ConnectionRefused))
                : new TcpStreamConnector("127.0.0.1", server.Port).ConnectAsync(cancellationToken);
        });
        var options = new ModbusClientOptions
        {
            Retries = 0,
            RequestTimeout = TimeSpan.FromSeconds(3),
            ReconnectDelay = TimeSpan.FromSeconds(1),
            MaxReconnectDelay = TimeSpan.FromSeconds(4),
        };
        await using var client = new ModbusClient(server.Framer, connector, options, timeProvider: time);

        // First failure: no wait. Second failure: wait 1 s (±20 %).
        await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));
        await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.Equal(2, attempts);

        // Within the back-off: fail fast without touching the network.
        var backingOff = await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.Contains("backing off", backingOff.Message, StringComparison.Ordinal);
        Assert.Equal(2, attempts);

        // Past 1.2 s the third attempt runs and fails: the wait doubles to 2 s (1.6..2.4 s).
        time.Advance(TimeSpan.FromSeconds(1.25));
        await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.Equal(3, attempts);
        time.Advance(TimeSpan.FromSeconds(1.25));
        await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.Equal(3, attempts);

        time.Advance(TimeSpan.FromSeconds(1.25));
        failing = false;
        Assert.Equal(HoldingAt(0, 1), await client.ReadHoldingRegistersAsync(Unit, 0, 1));
        Assert.Equal(4, attempts);
        Assert.Equal(3, client.Counters[ModbusErrorKind.ConnectionFailure]);
    }

    [Fact]
    public async Task ReconnectDelay_GrowingFailures_DoublesWithJitterUpToTheCap()
    {
        var options = new ModbusClientOptions { ReconnectDelay = TimeSpan.FromMilliseconds(100), MaxReconnectDelay = TimeSpan.FromSeconds(1) };
        await using var client = new ModbusClient(ModbusTcpFramer.Instance, new TcpStreamConnector("127.0.0.1", 502), options);

        for (var sample = 0; sample < 50; sample++)
        {
            Assert.Equal(TimeSpan.Zero, client.ReconnectDelay(0));
            Assert.Equal(TimeSpan.Zero, client.ReconnectDelay(1));
            Assert.InRange(client.ReconnectDelay(2).TotalMilliseconds, 80, 120);
            Assert.InRange(client.ReconnectDelay(3).TotalMilliseconds, 160, 240);
            Assert.InRange(client.ReconnectDelay(4).TotalMilliseconds, 320, 480);
            Assert.InRange(client.ReconnectDelay(5).TotalMilliseconds, 640, 960);
            Assert.InRange(client.ReconnectDelay(6).TotalMilliseconds, 800, 1000);
            Assert.InRange(client.ReconnectDelay(1000).TotalMilliseconds, 800, 1000);
        }
    }

    [Fact]
    public async Task SendAsync_CallerCancels_ThrowsOperationCanceledNotTimeout()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        await using var client = server.CreateClient(new ModbusClientOptions { Retries = 3, RequestTimeout = TimeSpan.FromSeconds(10) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReadHoldingRegistersAsync(LoopbackModbusServer.SilentUnitId, 0, 1, cancel.Token));

        Assert.Equal(0, client.Counters[ModbusErrorKind.Timeout]);
        Assert.Equal(1, client.Counters.Requests);
    }

    [Fact]
    public async Task SendAsync_AfterDispose_ThrowsObjectDisposed()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        var client = server.CreateClient();
        await client.ReadHoldingRegistersAsync(Unit, 0, 1);

        await client.DisposeAsync();
        await client.DisposeAsync();

        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ReadHoldingRegistersAsync(Unit, 0, 1));
    }

    [Fact]
    public async Task DisposeAsync_RequestsInFlightAndQueued_EndThemAndDoNotReconnect()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        var client = server.CreateClient(new ModbusClientOptions { Retries = 1, RequestTimeout = TimeSpan.FromSeconds(10) });
        var calls = Enumerable.Range(0, 3).Select(_ => client.ReadHoldingRegistersAsync(LoopbackModbusServer.SilentUnitId, 0, 1)).ToArray();
        await Poll.UntilAsync(() => server.Server.Counters.Requests == 1, "the first request reached the server");

        await client.DisposeAsync();

        var all = Task.WhenAll(calls);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5))));
        Assert.All(calls, call => Assert.IsType<ObjectDisposedException>(call.Exception?.InnerException));
        await Poll.UntilAsync(() => server.Server.ConnectionCount == 0, "the client's connection is closed");
        Assert.Equal(1, server.Server.Counters.Requests);
        Assert.Equal(0, client.Counters[ModbusErrorKind.Timeout]);
    }

    [Fact]
    public async Task DisconnectAsync_ThenRead_OpensANewConnection()
    {
        await using var server = LoopbackModbusServer.Start("tcp");
        await using var client = server.CreateClient();
        await client.ReadHoldingRegistersAsync(Unit, 0, 1);

        await client.DisconnectAsync();
        Assert.False(client.IsConnected);

        Assert.Equal(HoldingAt(1, 1), await client.ReadHoldingRegistersAsync(Unit, 1, 1));
        Assert.True(client.IsConnected);
    }

    [Theory]
    [InlineData(0, 1000, 0)]
    [InlineData(1000, 0, 0)]
    [InlineData(1000, 1000, 11)]
    [InlineData(1000, 1000, -1)]
    public void Constructor_InvalidOptions_ThrowsArgumentException(int requestMilliseconds, int connectMilliseconds, int retries)
    {
        var options = new ModbusClientOptions
        {
            RequestTimeout = TimeSpan.FromMilliseconds(requestMilliseconds),
            ConnectTimeout = TimeSpan.FromMilliseconds(connectMilliseconds),
            Retries = retries,
        };
        Assert.Throws<ArgumentException>(() => new ModbusClient(ModbusTcpFramer.Instance, new TcpStreamConnector("127.0.0.1", 502), options));
    }

    [Fact]
    public void Validate_MaxReconnectDelayBelowReconnectDelay_Throws() =>
        Assert.Throws<ArgumentException>(() => new ModbusClientOptions { ReconnectDelay = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(1) }.Validate());
}
