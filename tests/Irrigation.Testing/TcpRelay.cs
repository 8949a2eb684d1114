using System.Net;
using System.Net.Sockets;

namespace Irrigation.Testing;

/// <summary>
/// A TCP relay on 127.0.0.1 standing in for a field link (a station's 4G uplink): it forwards every connection to
/// <see cref="TargetPort"/> until <see cref="Cut"/>, which drops every connection and refuses new ones (closed at once)
/// until <see cref="Restore"/>. Bytes are copied as they come; nothing is parsed.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _sync = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;
    private volatile bool _cut;

    public TcpRelay(int targetPort = 0)
    {
        TargetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Where connections go; may be set after construction (0: refuse).</summary>
    public int TargetPort { get; set; }

    /// <summary>Connections accepted so far (each reconnect of the client counts).</summary>
    public int Connections { get; private set; }

    public bool IsCut => _cut;

    /// <summary>The link goes down: every open connection is dropped, new ones are closed as they arrive.</summary>
    public void Cut()
    {
        _cut = true;
        CloseAll();
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket inbound;
            try
            {
                inbound = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_cut || TargetPort == 0)
            {
                inbound.Dispose();
                continue;
            }

            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(Socket inbound)
    {
        var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, TargetPort, _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            inbound.Dispose();
            outbound.Dispose();
            return;
        }

        lock (_sync)
        {
            Connections++;
            _open.Add(inbound);
            _open.Add(outbound);
        }

        await Task.WhenAny(CopyAsync(inbound, outbound), CopyAsync(outbound, inbound));
        inbound.Dispose();
        outbound.Dispose();
        lock (_sync)
        {
            _open.Remove(inbound);
            _open.Remove(outbound);
        }
    }

    private async Task CopyAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0 || _cut)
                    return;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the other side closed, the link was cut, or the relay is stopping
        }
    }

    private void CloseAll()
    {
        lock (_sync)
        {
            foreach (var socket in _open)
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                }

                socket.Dispose();
            }

            _open.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseAll();
        await _accepting;
        _stop.Dispose();
    }
}
