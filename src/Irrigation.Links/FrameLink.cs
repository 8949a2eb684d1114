using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Irrigation.Links;

/// <summary>What a <see cref="IFrameReader{TFrame, TError}"/> found at the start of the bytes received.</summary>
public enum FrameReadStatus
{
    /// <summary>Not enough bytes yet; nothing consumed.</summary>
    Incomplete,

    /// <summary>A whole frame; <c>consumed</c> is just past it.</summary>
    Complete,

    /// <summary>Bytes that can never become a valid frame; <c>consumed</c> says what to discard.</summary>
    Malformed,

    /// <summary>Expected bytes between frames (a DTU heartbeat, a wake-up preamble); skipped, not an error.</summary>
    Ignored,
}

/// <summary>
/// One protocol's view of a link's byte stream: reads a frame from the start of what was received (never throwing,
/// never trusting a length beyond what is there) and counts what had to be discarded.
/// </summary>
public interface IFrameReader<TFrame, TError>
{
    /// <summary>For logs: "Modbus rtu", "DL/T 645".</summary>
    string Name { get; }

    /// <summary>Whether a frame cut off and followed by <see cref="FrameLinkTiming.StalePartialFrame"/> of quiet is dropped (framings without transaction ids).</summary>
    bool DropsStalePartialFrames { get; }

    /// <summary>Reads one frame; a <see cref="FrameReadStatus.Complete"/> frame must own its bytes (the buffer moves on).</summary>
    FrameReadStatus TryRead(in ReadOnlySequence<byte> input, out TFrame frame, out SequencePosition consumed, out TError error);

    /// <summary>Counts a malformed frame.</summary>
    void CountDiscarded(TError error);

    /// <summary>Counts a frame cut off and dropped after quiet.</summary>
    void CountStalePartialFrame();
}

/// <summary>Timing shared by every <see cref="FrameLink{TFrame, TError}"/>.</summary>
public static class FrameLinkTiming
{
    /// <summary>
    /// A TCP tunnel loses a serial line's silences, so a frame cut off mid-way is recognised by quiet: bytes of an
    /// unfinished frame still waiting after this long are dropped so they cannot spoil the next reply.
    /// </summary>
    public static readonly TimeSpan StalePartialFrame = TimeSpan.FromMilliseconds(1000);
}

/// <summary>
/// One open connection of a protocol client: the stream plus a receive loop that parses frames as they arrive.
/// Waiting requests read frames from a small bounded channel, so a timed-out request never cancels a socket read
/// and a late reply is simply found (and discarded) by the next request.
/// </summary>
public class FrameLink<TFrame, TError> : IAsyncDisposable
{
    private const int FrameBacklog = 8;

    private readonly Stream _stream;
    private readonly IFrameReader<TFrame, TError> _reader;
    private readonly ILogger _logger;
    private readonly string _description;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<TFrame> _frames = Channel.CreateBounded<TFrame>(
        new BoundedChannelOptions(FrameBacklog) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });
    private readonly Task _receiveLoop;

    public FrameLink(Stream stream, IFrameReader<TFrame, TError> reader, ILogger logger, string description)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _reader = reader ?? throw new ArgumentNullException(nameof(reader));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _description = description;
        _receiveLoop = ReceiveLoopAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), _stop.Token);
    }

    /// <summary>False once the peer closed the connection or a read failed.</summary>
    public bool IsOpen => !_receiveLoop.IsCompleted;

    public ChannelReader<TFrame> Frames => _frames.Reader;

    public ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>Drops frames that arrived after their request gave up; returns how many.</summary>
    public int DiscardStaleFrames()
    {
        var discarded = 0;
        while (_frames.Reader.TryRead(out _))
            discarded++;
        return discarded;
    }

    private async Task ReceiveLoopAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        long partialLength = 0, partialSince = 0;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                if (partialLength > 0 && _reader.DropsStalePartialFrames && Environment.TickCount64 - partialSince >= FrameLinkTiming.StalePartialFrame.TotalMilliseconds)
                {
                    _reader.CountStalePartialFrame();
                    _logger.LogWarning("{Protocol} link {Link}: discarded {Bytes} bytes of a frame cut off {Ms} ms ago.", _reader.Name, _description, partialLength, Environment.TickCount64 - partialSince);
                    buffer = buffer.Slice(Math.Min(partialLength, buffer.Length));
                }

                partialLength = 0;
                while (!buffer.IsEmpty)
                {
                    var status = _reader.TryRead(buffer, out var frame, out var consumed, out var error);
                    if (status == FrameReadStatus.Incomplete)
                        break;
                    if (status == FrameReadStatus.Complete)
                    {
                        _frames.Writer.TryWrite(frame);
                    }
                    else if (status == FrameReadStatus.Malformed)
                    {
                        _reader.CountDiscarded(error);
                        _logger.LogWarning("{Protocol} link {Link}: discarded {Bytes} bytes: {Reason}", _reader.Name, _description, buffer.Slice(0, consumed).Length, error);
                    }

                    buffer = buffer.Slice(consumed);
                }

                if (!buffer.IsEmpty)
                {
                    partialLength = buffer.Length;
                    partialSince = Environment.TickCount64;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    break;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Closed by us.
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            failure = ex;
        }
        finally
        {
            await reader.CompleteAsync();
            _frames.Writer.TryComplete(failure ?? new IOException($"{_reader.Name} link {_description} closed by the peer."));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _stream.DisposeAsync();
        try
        {
            await _receiveLoop;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug(ex, "{Protocol} link {Link} closed while reading.", _reader.Name, _description);
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
