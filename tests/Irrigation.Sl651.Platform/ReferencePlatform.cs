using System.Collections.Concurrent;
using System.Net;
using Irrigation.Links;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Sl651.Platform;

/// <summary>
/// A central platform on loopback for tests. It records every frame it decodes; acknowledges reports per M2 (§6.3.1.2b:
/// a down frame with the same function code and serial, ended EOT — or ESC when <see cref="KeepStationsOnline"/>);
/// never answers a 2FH keep-alive (§6.6.4.2); and offers the faults an outage needs: stop answering, refuse and drop
/// connections. <see cref="SendPumpSwitchAsync"/> sends a 4CH command (table 72) and waits for the station's 4CH reply.
/// </summary>
public sealed class ReferencePlatform : IAsyncDisposable
{
    private readonly TcpSessionServer _server;
    private readonly ConcurrentQueue<PlatformFrame> _received = new();
    private readonly ConcurrentDictionary<string, Session> _sessions = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<PlatformFrame>> _pendingReplies = new();
    private readonly ConcurrentDictionary<string, byte> _seen = new();
    private long _badFrames;
    private long _duplicates;

    public ReferencePlatform(int centreAddress = 1, ILogger? logger = null)
    {
        Centre = centreAddress;
        _server = new TcpSessionServer(new IPEndPoint(IPAddress.Loopback, 0), 16, ServeAsync, logger ?? NullLogger.Instance, "SL 651 reference platform");
        _server.Start();
    }

    public int Centre { get; }

    public int Port => _server.LocalEndPoint.Port;

    /// <summary>False: frames are still read and recorded but nothing is answered (a platform that hangs).</summary>
    public bool Answering { get; set; } = true;

    /// <summary>End acknowledgements with ESC (station stays online) instead of EOT.</summary>
    public bool KeepStationsOnline { get; set; } = true;

    /// <summary>Frames that failed the platform's CRC or framing.</summary>
    public long BadFrames => Interlocked.Read(ref _badFrames);

    /// <summary>Resends of a report already recorded (same station, function, serial and send time): acknowledged again, recorded once.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    public IReadOnlyList<PlatformFrame> Received => [.. _received];

    /// <summary>Reports (everything acknowledged: not keep-alives, not command replies) in arrival order.</summary>
    public IReadOnlyList<PlatformFrame> Reports => [.. _received.Where(f => f.Up && f.Function != 0x2F)];

    public int ConnectionCount => _server.ConnectionCount;

    /// <summary>An outage: new connections are closed at once and open ones dropped.</summary>
    public void BeginOutage()
    {
        _server.RefuseConnections = true;
        _server.DropConnections();
    }

    public void EndOutage() => _server.RefuseConnections = false;

    /// <summary>Sends a 4CH pump switch command to a connected station and waits for its 4CH reply (null on timeout).</summary>
    public async Task<PlatformFrame?> SendPumpSwitchAsync(string station, int password, byte[] pumpBits, TimeSpan timeout, DateTime? sentAt = null, CancellationToken cancellationToken = default)
    {
        if (!_sessions.TryGetValue(station, out var session))
            throw new InvalidOperationException($"Station {station} has no open connection to the platform.");
        var body = new byte[8 + 1 + pumpBits.Length];
        // Serial 0: a centre-initiated message (§6.6.2.4).
        // Send time in Beijing time, as platforms in China keep it (UTC+8), whatever this machine's zone.
        PlatformDecoder.SerialAndTime(0, sentAt ?? DateTime.UtcNow.AddHours(8)).CopyTo(body, 0);
        body[8] = (byte)pumpBits.Length;
        pumpBits.CopyTo(body, 9);
        var reply = new TaskCompletionSource<PlatformFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingReplies[station] = reply;
        await session.WriteAsync(PlatformDecoder.Down(station, Centre, password, 0x4C, body, 0x05), cancellationToken);
        try
        {
            return await reply.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _pendingReplies.TryRemove(station, out _);
        }
    }

    private async Task ServeAsync(Stream stream, string peer, CancellationToken cancellationToken)
    {
        using var session = new Session(stream);
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        while (!cancellationToken.IsCancellationRequested)
        {
            var n = await stream.ReadAsync(chunk, cancellationToken);
            if (n == 0)
                return;
            buffer.AddRange(chunk.AsSpan(0, n));
            while (true)
            {
                var outcome = PlatformDecoder.Read(buffer.ToArray(), out var frame, out var used, out _);
                if (outcome == PlatformDecoder.Outcome.NeedMore)
                    break;
                buffer.RemoveRange(0, used);
                if (outcome == PlatformDecoder.Outcome.Bad)
                {
                    Interlocked.Increment(ref _badFrames);
                    continue;
                }

                await OnFrameAsync(session, frame!, cancellationToken);
            }
        }
    }

    private async Task OnFrameAsync(Session session, PlatformFrame frame, CancellationToken cancellationToken)
    {
        if (!frame.Up)
            return;
        _sessions[frame.Station] = session;
        // A hung platform: reads, but neither records nor answers.
        if (!Answering)
            return;
        var key = $"{frame.Station}/{frame.Function:X2}/{frame.Serial}/{frame.SendTime:O}";
        if (frame.Function == 0x2F || _seen.TryAdd(key, 0))
            _received.Enqueue(frame);
        else
            Interlocked.Increment(ref _duplicates);
        if (frame.Function == 0x4C && frame.Serial == 0 && _pendingReplies.TryGetValue(frame.Station, out var pending))
        {
            // The reply to our own command (serial 0 echoed) is not a report: settle the command, acknowledge with EOT (M4).
            pending.TrySetResult(frame);
        }

        if (frame.Function == 0x2F || frame.Serial is null)
            return;
        var end = KeepStationsOnline ? (byte)0x1B : (byte)0x04;
        var ack = PlatformDecoder.Down(frame.Station, Centre, frame.Password, frame.Function, PlatformDecoder.SerialAndTime(frame.Serial.Value, DateTime.Now), end);
        await session.WriteAsync(ack, cancellationToken);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private sealed class Session(Stream stream) : IDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public void Dispose() => _gate.Dispose();

        public async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                await stream.WriteAsync(bytes, cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}
