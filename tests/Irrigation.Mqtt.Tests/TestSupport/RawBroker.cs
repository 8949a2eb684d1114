using System.Net;
using System.Net.Sockets;

namespace Irrigation.Mqtt.Tests.TestSupport;

/// <summary>
/// A "broker" on 127.0.0.1, port 0, that speaks raw bytes: the test reads what the client sends and writes whatever it
/// likes — a valid CONNACK as the spec spells it, garbage, or nothing. It knows MQTT's framing only, no packet.
/// </summary>
internal sealed class RawBroker : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _accepted = [];

    public RawBroker() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async Task<RawConnection> AcceptAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var client = await _listener.AcceptTcpClientAsync(deadline.Token);
        _accepted.Add(client);
        return new RawConnection(client);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var client in _accepted)
            client.Dispose();
        _listener.Stop();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed class RawConnection(TcpClient client)
{
    private readonly NetworkStream _stream = client.GetStream();

    /// <summary>Reads one whole control packet (fixed header, remaining length per §2.2.3, body) and returns its bytes.</summary>
    public async Task<byte[]> ReadPacketAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? RawBroker.DefaultTimeout);
        var header = new List<byte> { await ReadByteAsync(deadline.Token) };
        int length = 0, shift = 0;
        byte next;
        do
        {
            next = await ReadByteAsync(deadline.Token);
            header.Add(next);
            length |= (next & 0x7F) << shift;
            shift += 7;
        }
        while ((next & 0x80) != 0 && shift < 28);

        var body = new byte[length];
        await _stream.ReadExactlyAsync(body, deadline.Token);
        return [.. header, .. body];
    }

    public async Task SendAsync(string hex) => await _stream.WriteAsync(Hex.Parse(hex));

    /// <summary>True once the client closed the connection (read returns 0) within the timeout.</summary>
    public async Task<bool> ClosedByClientAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                if (await _stream.ReadAsync(buffer, deadline.Token) == 0)
                    return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Close() => client.Dispose();

    private async Task<byte> ReadByteAsync(CancellationToken cancellationToken)
    {
        var one = new byte[1];
        await _stream.ReadExactlyAsync(one, cancellationToken);
        return one[0];
    }
}
