using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// The socket stream under MQTTnet, buffered both ways. MQTTnet reads every packet with two or three small reads
/// (fixed header, each further length byte, body) and writes every packet with its own send: at 10,000 telemetry
/// messages a second that is some 40,000 system calls, the largest cost of ingestion. Here reads are served from a
/// 64 KiB buffer filled by one receive, and while the client is "corked" (acknowledging a batch, or sending a run of
/// queued publishes) writes gather in memory and go out in one send when it uncorks. Outside a cork, writes go straight
/// to the socket, so nothing waits. TLS, when configured, is layered above this stream by MQTTnet.
/// <para>
/// It is also where back-pressure reaches TCP: MQTTnet queues every packet it reads, without limit, for its message
/// handler, so a broker sending faster than the application drains (a resumed session with a backlog of a million
/// messages, which mosquitto 2.0 sends without regard to Receive Maximum) would fill memory. Before each receive the
/// stream awaits <c>readGate</c> — room in the client's bounded inbound channel — so while the application is behind,
/// the socket is not read and the broker's queue holds the rest.
/// </para>
/// </summary>
internal sealed class CoalescingStream : Stream, IMqttClientStreamEndPoints
{
    private const int ReadBufferBytes = 64 * 1024;
    private const int MaxGatheredBytes = 256 * 1024;
    private const string NotSeekable = "A socket stream has no length or position.";

    private readonly Socket _socket;
    private readonly NetworkStream _inner;
    private readonly byte[] _readBuffer = new byte[ReadBufferBytes];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly MemoryStream _gathered = new();
    private int _readStart;
    private int _readEnd;
    private int _corks;

    private readonly Func<CancellationToken, ValueTask> _readGate;

    private CoalescingStream(Socket socket, Func<CancellationToken, ValueTask> readGate)
    {
        _socket = socket;
        _readGate = readGate;
        _inner = new NetworkStream(socket, ownsSocket: true);
    }

    public EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    public EndPoint? RemoteEndPoint => _socket.RemoteEndPoint;

    /// <summary>
    /// Ends the connection from outside MQTTnet (a PUBACK that never came): both directions are shut, so MQTTnet's
    /// pending read returns end of stream and it reports the connection lost like any other. False when the socket was
    /// already closed — then that loss is being reported anyway.
    /// </summary>
    public bool Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException(NotSeekable);

    public override long Position
    {
        get => throw new NotSupportedException(NotSeekable);
        set => throw new NotSupportedException(NotSeekable);
    }

    /// <summary>Connects a TCP socket: no Nagle delay, 256 KiB kernel buffers, and a graceful close (linger off).</summary>
    public static async Task<CoalescingStream> ConnectAsync(EndPoint endPoint, int socketBufferBytes, Func<CancellationToken, ValueTask> readGate, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveBufferSize = socketBufferBytes,
            SendBufferSize = socketBufferBytes,
            LingerState = new LingerOption(false, 0),
        };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new CoalescingStream(socket, readGate);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>From now until the matching <see cref="UncorkAsync"/>, writes gather in memory.</summary>
    public void Cork() => Interlocked.Increment(ref _corks);

    /// <summary>Ends one <see cref="Cork"/>; the last one sends what gathered, in one write.</summary>
    public async ValueTask UncorkAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (Interlocked.Decrement(ref _corks) <= 0)
            {
                _corks = 0;
                await SendGatheredAsync(cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_readStart == _readEnd)
        {
            await _readGate(cancellationToken);
            if (buffer.Length >= ReadBufferBytes)
                return await _inner.ReadAsync(buffer, cancellationToken);
            _readStart = 0;
            _readEnd = await _inner.ReadAsync(_readBuffer, cancellationToken);
            if (_readEnd == 0)
                return 0;
        }

        var count = Math.Min(buffer.Length, _readEnd - _readStart);
        _readBuffer.AsMemory(_readStart, count).CopyTo(buffer);
        _readStart += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref _corks) > 0)
            {
                _gathered.Write(buffer.Span);
                if (_gathered.Length >= MaxGatheredBytes)
                    await SendGatheredAsync(cancellationToken);
            }
            else
            {
                await SendGatheredAsync(cancellationToken);
                await _inner.WriteAsync(buffer, cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException(NotSeekable);

    public override void SetLength(long value) => throw new NotSupportedException(NotSeekable);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _gathered.Dispose();
            _writeLock.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Call holding the write lock.</summary>
    private async ValueTask SendGatheredAsync(CancellationToken cancellationToken)
    {
        if (_gathered.Length == 0)
            return;
        await _inner.WriteAsync(_gathered.GetBuffer().AsMemory(0, (int)_gathered.Length), cancellationToken);
        _gathered.SetLength(0);
    }
}

/// <summary>Hands MQTTnet a <see cref="CoalescingStream"/> per connection and remembers the current one.</summary>
internal sealed class CoalescingStreamProvider(int socketBufferBytes, Func<CancellationToken, ValueTask> readGate) : IMqttClientStreamProvider
{
    private volatile CoalescingStream? _current;

    public CoalescingStream? Current => _current;

    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        var stream = await CoalescingStream.ConnectAsync(brokerEndPoint, socketBufferBytes, readGate, cancellationToken);
        _current = stream;
        return stream;
    }
}
