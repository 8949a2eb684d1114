using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Irrigation.Mqtt.Formatter;
using Irrigation.Mqtt.Packets;

namespace Irrigation.Mqtt.Tests.TestSupport;

/// <summary>
/// A scripted broker on 127.0.0.1, port 0: each accepted connection is handed to the test, which reads the client's
/// packets (parsed with the formatter, itself tested byte-for-byte) and writes whatever bytes it likes — valid
/// answers, garbage, or nothing.
/// </summary>
internal sealed class FakeBroker : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Channel<FakeBrokerConnection> _accepted = Channel.CreateUnbounded<FakeBrokerConnection>();
    private readonly List<FakeBrokerConnection> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    public FakeBroker()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async Task<FakeBrokerConnection> AcceptAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _accepted.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException ex)
        {
            throw new TimeoutException($"The client did not connect to the fake broker within {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s.", ex);
        }
    }

    /// <summary>Accepts a connection, reads its CONNECT and answers with CONNACK.</summary>
    public async Task<(FakeBrokerConnection Connection, MqttConnectPacket Connect)> AcceptClientAsync(bool sessionPresent = false, byte returnCode = 0)
    {
        var connection = await AcceptAsync();
        var connect = Assert.IsType<MqttConnectPacket>(await connection.ReadAsync());
        await connection.SendAsync(new MqttConnAckPacket(sessionPresent, returnCode));
        return (connection, connect);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var connection = new FakeBrokerConnection(socket);
                lock (_connections)
                    _connections.Add(connection);
                await _accepted.Writer.WriteAsync(connection);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _accepted.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        FakeBrokerConnection[] connections;
        lock (_connections)
            connections = [.. _connections];
        foreach (var connection in connections)
            await connection.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>
/// The broker's side of one client connection. A background loop parses the client's packets into a channel, so
/// a test can wait for the next one with a timeout without ever cancelling a socket read.
/// </summary>
internal sealed class FakeBrokerConnection : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly Channel<MqttPacket> _packets = Channel.CreateUnbounded<MqttPacket>();
    private readonly Task _readLoop;

    public FakeBrokerConnection(Socket socket)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _readLoop = ReadLoopAsync(PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true)));
    }

    /// <summary>The client's next packet; throws on timeout or when the client closed the connection.</summary>
    public async Task<MqttPacket> ReadAsync(TimeSpan? timeout = null)
    {
        var packet = await TryReadAsync(timeout ?? FakeBroker.DefaultTimeout);
        return packet ?? throw new IOException("The client closed the connection.");
    }

    /// <summary>The next packet, null when the client closed the connection; TimeoutException when nothing came.</summary>
    public async Task<MqttPacket?> TryReadAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await _packets.Reader.WaitToReadAsync(deadline.Token) && _packets.Reader.TryRead(out var packet) ? packet : null;
        }
        catch (OperationCanceledException ex)
        {
            throw new TimeoutException($"No packet from the client within {timeout.TotalSeconds:0.#} s.", ex);
        }
    }

    /// <summary>Asserts that nothing arrives for <paramref name="quiet"/>.</summary>
    public async Task AssertSilentAsync(TimeSpan quiet)
    {
        try
        {
            var packet = await TryReadAsync(quiet);
            Assert.Fail($"Expected silence, got {packet?.Type.ToString() ?? "a closed connection"}.");
        }
        catch (TimeoutException)
        {
            // Silence, as expected.
        }
    }

    public Task SendAsync(MqttPacket packet) => SendAsync(MqttPacketFormatter.ToArray(packet));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Drops the connection as a crashed broker would (RST).</summary>
    public void Close() => _stream.Socket.Close(0);

    public async ValueTask DisposeAsync()
    {
        Close();
        await _stream.DisposeAsync();
        await _readLoop;
    }

    private async Task ReadLoopAsync(PipeReader reader)
    {
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                while (true)
                {
                    var status = MqttPacketFormatter.TryRead(buffer, 1024 * 1024, out var packet, out var consumed, out var error);
                    if (status == MqttReadStatus.Malformed)
                        throw new InvalidDataException($"The client sent a malformed packet: {error}");
                    if (status == MqttReadStatus.Incomplete)
                        break;
                    _packets.Writer.TryWrite(packet!);
                    buffer = buffer.Slice(consumed);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    break;
            }

            _packets.Writer.TryComplete();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            _packets.Writer.TryComplete();
        }
        catch (InvalidDataException ex)
        {
            _packets.Writer.TryComplete(ex);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }
}
