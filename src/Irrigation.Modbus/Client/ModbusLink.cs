using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Modbus.Client;

/// <summary>A response frame copied off the wire, kept until the waiting request takes it.</summary>
internal readonly record struct ReceivedFrame(ushort TransactionId, byte UnitId, byte[] Pdu);

/// <summary>
/// One open connection of a <see cref="ModbusClient"/>: the stream plus a receive loop that parses response frames
/// as they arrive. Waiting requests read frames from a small bounded channel, so a timed-out request never
/// cancels a socket read and a late response is simply found (and discarded) by the next request.
/// </summary>
internal sealed class ModbusLink : IAsyncDisposable
{
    private const int FrameBacklog = 8;

    private readonly Stream _stream;
    private readonly IModbusFramer _framer;
    private readonly ModbusCounters _counters;
    private readonly ILogger _logger;
    private readonly string _description;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<ReceivedFrame> _frames = Channel.CreateBounded<ReceivedFrame>(
        new BoundedChannelOptions(FrameBacklog) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });
    private readonly Task _receiveLoop;

    public ModbusLink(Stream stream, IModbusFramer framer, ModbusCounters counters, ILogger logger, string description)
    {
        _stream = stream;
        _framer = framer;
        _counters = counters;
        _logger = logger;
        _description = description;
        _receiveLoop = ReceiveLoopAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), _stop.Token);
    }

    /// <summary>False once the peer closed the connection or a read failed.</summary>
    public bool IsOpen => !_receiveLoop.IsCompleted;

    public ChannelReader<ReceivedFrame> Frames => _frames.Reader;

    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) => _stream.WriteAsync(frame, cancellationToken);

    /// <summary>Drops frames that arrived after their request gave up (needed for RTU, which has no transaction ids).</summary>
    public int DiscardStaleFrames()
    {
        var discarded = 0;
        while (_frames.Reader.TryRead(out _))
            discarded++;
        return discarded;
    }

    /// <summary>
    /// RTU over TCP has no silent interval, but a response cut off mid-frame followed by this much quiet can only
    /// be garbage: it is dropped so it cannot spoil the next response.
    /// </summary>
    internal static readonly TimeSpan StalePartialFrame = TimeSpan.FromMilliseconds(1000);

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
                if (partialLength > 0 && !_framer.HasTransactionIds && Environment.TickCount64 - partialSince >= StalePartialFrame.TotalMilliseconds)
                {
                    _counters.Error(ModbusErrorKind.MalformedFrame);
                    _logger.LogWarning("Modbus {Framing} link {Link}: discarded {Bytes} bytes of a frame cut off {Ms} ms ago.", _framer.Name, _description, partialLength, Environment.TickCount64 - partialSince);
                    buffer = buffer.Slice(Math.Min(partialLength, buffer.Length));
                }

                partialLength = 0;
                while (!buffer.IsEmpty)
                {
                    var status = _framer.TryReadFrame(buffer, ModbusFrameDirection.Response, out var frame, out var consumed, out var error);
                    if (status == ModbusFrameStatus.Incomplete)
                        break;
                    if (status == ModbusFrameStatus.Ignored)
                    {
                        // A DTU heartbeat between frames: expected traffic, not an error.
                    }
                    else if (status == ModbusFrameStatus.Complete)
                    {
                        _frames.Writer.TryWrite(new ReceivedFrame(frame.TransactionId, frame.UnitId, frame.Pdu.ToArray()));
                    }
                    else
                    {
                        _counters.Error(error.Kind == ModbusFrameErrorKind.CrcMismatch ? ModbusErrorKind.CrcMismatch : ModbusErrorKind.MalformedFrame);
                        _logger.LogWarning("Modbus {Framing} link {Link}: discarded {Bytes} bytes: {Reason}", _framer.Name, _description, buffer.Slice(0, consumed).Length, error);
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
            _frames.Writer.TryComplete(failure ?? new IOException($"Modbus link {_description} closed by the peer."));
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
            _logger.LogDebug(ex, "Modbus link {Link} closed while reading.", _description);
        }

        _stop.Dispose();
    }
}
