using System.Net;
using System.Net.Sockets;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Pdu;

namespace Irrigation.Modbus.Tests.TestSupport;

/// <summary>
/// A raw TCP listener on loopback that plays a misbehaving Modbus slave: each accepted connection runs
/// <c>script(connectionIndex, stream, cancellationToken)</c>. Script failures other than the connection ending are
/// kept in <see cref="Fault"/> so a test can assert the peer itself behaved as scripted.
/// </summary>
internal sealed class ScriptedModbusPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, NetworkStream, CancellationToken, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _sessions = [];
    private readonly Task _acceptLoop;
    private int _connections;

    public ScriptedModbusPeer(Func<int, NetworkStream, CancellationToken, Task> script)
    {
        _script = script;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public Exception? Fault { get; private set; }

    /// <summary>Encodes <paramref name="response"/> in a whole frame.</summary>
    public static byte[] Frame(IModbusFramer framer, ushort transactionId, byte unitId, ModbusResponse response)
    {
        var pdu = new byte[ModbusPduFormatter.MaxPduLength];
        var pduLength = ModbusPduFormatter.WriteResponse(response, pdu);
        var frame = new byte[framer.MaxFrameLength];
        var length = framer.WriteFrame(frame, transactionId, unitId, pdu.AsSpan(0, pduLength));
        return frame[..length];
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var index = Interlocked.Increment(ref _connections) - 1;
            lock (_sessions)
                _sessions.Add(RunAsync(index, client));
        }
    }

    private async Task RunAsync(int index, TcpClient client)
    {
        using (client)
        {
            try
            {
                client.NoDelay = true;
                await _script(index, client.GetStream(), _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // The connection ended or the test finished: nothing to report.
            }
            catch (Exception ex)
            {
                Fault ??= ex;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] sessions;
        lock (_sessions)
            sessions = [.. _sessions];
        await Task.WhenAll(sessions);
        _stop.Dispose();
    }
}
