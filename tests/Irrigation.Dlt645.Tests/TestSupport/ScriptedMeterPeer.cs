using System.Net;
using System.Net.Sockets;

namespace Irrigation.Dlt645.Tests.TestSupport;

/// <summary>
/// A raw TCP listener on loopback playing a meter that answers from a script: whenever the bytes received so far
/// contain a scripted request (hex, preamble included), the peer drops them through that request and writes the
/// scripted reply bytes as they are — garbage, bad checksums and all. A "|" in a reply is a pause of
/// <see cref="Pause"/> (a line gone quiet mid-frame). Requests not in the script get no answer.
/// </summary>
internal sealed class ScriptedMeterPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    public static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(1300);

    private readonly Dictionary<string, byte[][]> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<string> _received = [];

    public ScriptedMeterPeer(Dictionary<string, string> script)
    {
        _script = script.ToDictionary(p => p.Key, p => p.Value.Split('|').Select(part => Hex.Parse(part.Trim())).ToArray());
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every scripted request matched, in order.</summary>
    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_received)
                return [.. _received];
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var pending = string.Empty;
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var count = await stream.ReadAsync(buffer, _stop.Token);
                if (count == 0)
                    return;
                pending = (pending + " " + Hex.Format(buffer.AsSpan(0, count))).Trim();
                foreach (var (request, reply) in _script)
                {
                    var at = pending.IndexOf(request, StringComparison.Ordinal);
                    if (at < 0)
                        continue;
                    pending = pending[(at + request.Length)..].Trim();
                    lock (_received)
                        _received.Add(request);
                    for (var i = 0; i < reply.Length; i++)
                    {
                        if (i > 0)
                            await Task.Delay(Pause, _stop.Token);
                        await stream.WriteAsync(reply[i], _stop.Token);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Connection closed or peer stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }
}
