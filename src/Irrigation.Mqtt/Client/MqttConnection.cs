using System.Buffers;
using System.IO.Pipelines;
using Irrigation.Mqtt.Formatter;
using Irrigation.Mqtt.Packets;

namespace Irrigation.Mqtt.Client;

/// <summary>
/// One open network connection of a session: the stream, a <see cref="PipeReader"/> that parses whole packets off
/// it, and a write lock so the send loop, the receive loop's acks, keep-alive pings and application requests never
/// interleave their bytes. Keeps the activity timestamps keep-alive needs. Writes after DISCONNECT are refused.
/// </summary>
internal sealed class MqttConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _packetBuffer = new(256);
    private readonly TaskCompletionSource _peerClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastSent;
    private long _lastReceived;
    private volatile bool _receiveBlocked;
    private bool _closedForWriting;
    private int _disposed;

    public MqttConnection(Stream stream, long generation, string endpoint, TimeProvider time)
    {
        _stream = stream;
        _time = time;
        Generation = generation;
        Endpoint = endpoint;
        Reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        _lastSent = _lastReceived = time.GetTimestamp();
    }

    /// <summary>Increases with every connection of a client; acks carry it so a stale ack is recognised.</summary>
    public long Generation { get; }

    public string Endpoint { get; }

    public bool SessionPresent { get; set; }

    public PipeReader Reader { get; }

    /// <summary>Completes when the broker has closed its end (a read hit the end of the stream).</summary>
    public Task PeerClosed => _peerClosed.Task;

    public long LastSentTimestamp => Interlocked.Read(ref _lastSent);

    public long LastReceivedTimestamp => Interlocked.Read(ref _lastReceived);

    /// <summary>True while the receive loop waits for room in the application's message channel (not reading the socket).</summary>
    public bool ReceiveBlocked
    {
        get => _receiveBlocked;
        set
        {
            _receiveBlocked = value;
            if (!value)
                Interlocked.Exchange(ref _lastReceived, _time.GetTimestamp()); // the broker was not being listened to
        }
    }

    public async ValueTask SendAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ThrowIfClosedForWriting();
            _packetBuffer.ResetWrittenCount();
            MqttPacketFormatter.Write(packet, _packetBuffer);
            await WriteAndFlushAsync(_packetBuffer.WrittenMemory, cancellationToken);
            if (packet is MqttDisconnectPacket)
                _closedForWriting = true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes several packets formatted by the caller in one go (the send loop's batches).</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> packets, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ThrowIfClosedForWriting();
            await WriteAndFlushAsync(packets, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The next whole packet, or null when the broker closed the connection (also mid-packet). Throws
    /// <see cref="MqttProtocolException"/> for a malformed or oversized packet.
    /// </summary>
    public async ValueTask<MqttPacket?> ReadPacketAsync(int maxPacketSize, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await Reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var status = MqttPacketFormatter.TryRead(buffer, maxPacketSize, out var packet, out var consumed, out var error);
            switch (status)
            {
                case MqttReadStatus.Complete:
                    Reader.AdvanceTo(consumed);
                    Interlocked.Exchange(ref _lastReceived, _time.GetTimestamp());
                    return packet;
                case MqttReadStatus.Malformed:
                    Reader.AdvanceTo(consumed);
                    throw new MqttProtocolException(error ?? "malformed packet");
                default:
                    Reader.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        _peerClosed.TrySetResult();
                        return null;
                    }

                    break;
            }
        }
    }

    /// <summary>Closes the stream so that pending reads and writes end; the loops then finish.</summary>
    public void Abort() => _stream.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stream.DisposeAsync();
        await Reader.CompleteAsync();

        // The write lock is not disposed: an application ack may still be waiting on it, and it must wake (and
        // fail on the closed stream) rather than hang on a disposed semaphore.
    }

    private async ValueTask WriteAndFlushAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(bytes, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
        Interlocked.Exchange(ref _lastSent, _time.GetTimestamp());
    }

    private void ThrowIfClosedForWriting()
    {
        if (_closedForWriting)
            throw new IOException($"The connection to {Endpoint} was closed with DISCONNECT.");
    }
}
