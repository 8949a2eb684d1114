using System.IO.Pipelines;
using System.Threading.Channels;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Dlt645.Client;

/// <summary>
/// The transport: one open stream of a <see cref="Dlt645Client"/> plus a receive loop that parses frames as they
/// arrive. Waiting requests read frames from a small bounded channel, so a timed-out request never cancels a socket
/// read and a late reply is found (and discarded) by the next request. Framing errors are counted here.
/// </summary>
internal sealed class Dlt645Link : IAsyncDisposable
{
    private const int FrameBacklog = 8;

    /// <summary>
    /// A TCP tunnel loses the serial line's silences, so a frame cut off mid-way is recognised by quiet: bytes of an
    /// unfinished frame still waiting after this long are dropped so they cannot spoil the next reply.
    /// </summary>
    internal static readonly TimeSpan StalePartialFrame = TimeSpan.FromMilliseconds(1000);

    private readonly Stream _stream;
    private readonly Dlt645Counters _counters;
    private readonly ILogger _logger;
    private readonly string _description;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<Dlt645Frame> _frames = Channel.CreateBounded<Dlt645Frame>(
        new BoundedChannelOptions(FrameBacklog) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });
    private readonly Task _receiveLoop;

    public Dlt645Link(Stream stream, Dlt645Counters counters, ILogger logger, string description)
    {
        _stream = stream;
        _counters = counters;
        _logger = logger;
        _description = description;
        _receiveLoop = ReceiveLoopAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), _stop.Token);
    }

    /// <summary>False once the peer closed the connection or a read failed.</summary>
    public bool IsOpen => !_receiveLoop.IsCompleted;

    public ChannelReader<Dlt645Frame> Frames => _frames.Reader;

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
                if (partialLength > 0 && Environment.TickCount64 - partialSince >= StalePartialFrame.TotalMilliseconds)
                {
                    _counters.Error(Dlt645ErrorKind.StalePartialFrame);
                    _logger.LogWarning("DL/T 645 link {Link}: dropped {Bytes} bytes of a frame cut off {Ms} ms ago.", _description, partialLength, Environment.TickCount64 - partialSince);
                    buffer = buffer.Slice(Math.Min(partialLength, buffer.Length));
                }

                partialLength = 0;
                while (!buffer.IsEmpty)
                {
                    var status = Dlt645FrameFormatter.TryRead(buffer, out var frame, out var consumed, out var error);
                    if (status == Dlt645ReadStatus.Incomplete)
                        break;
                    if (status == Dlt645ReadStatus.Complete)
                    {
                        _frames.Writer.TryWrite(frame!);
                    }
                    else if (status == Dlt645ReadStatus.Malformed)
                    {
                        _counters.Error(Dlt645Counters.KindOf(error.Kind));
                        _logger.LogWarning("DL/T 645 link {Link}: discarded {Bytes} bytes: {Reason}", _description, buffer.Slice(0, consumed).Length, error);
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
            _frames.Writer.TryComplete(failure ?? new IOException($"DL/T 645 link {_description} closed by the peer."));
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
            _logger.LogDebug(ex, "DL/T 645 link {Link} closed while reading.", _description);
        }

        _stop.Dispose();
    }
}
