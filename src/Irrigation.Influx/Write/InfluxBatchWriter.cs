using System.Buffers;
using System.Threading.Channels;
using Irrigation.Influx.LineProtocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Influx.Write;

/// <summary>
/// Batches points for an <see cref="InfluxWriteClient"/>: a bounded channel and one loop that turns points into line
/// protocol and sends a batch when it holds <see cref="InfluxWriteOptions.BatchSize"/> points or its oldest point has
/// waited <see cref="InfluxWriteOptions.FlushInterval"/>. <see cref="WriteAsync"/> waits for room when
/// <see cref="InfluxWriteOptions.QueueCapacity"/> points are queued (back-pressure), so a slow server slows producers
/// instead of growing memory. One request at a time. A batch that still fails after the client's retries is counted
/// (<see cref="InfluxDropReason.WriteFailed"/>) and logged, and the loop goes on: for no loss, put a durable queue in
/// front of <see cref="InfluxWriteClient"/> instead of using this class.
/// </summary>
public sealed class InfluxBatchWriter : IAsyncDisposable
{
    private readonly InfluxWriteClient _client;
    private readonly InfluxWriteOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Item> _channel;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly LineProtocolWriter _writer;
    private readonly Task _loop;
    private int _pending;
    private long _oldest;

    public InfluxBatchWriter(InfluxWriteClient client, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = client.Options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _writer = new LineProtocolWriter(_buffer, _options.UnsignedSuffix);
        _channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    public InfluxBatchCounters Counters { get; } = new();

    /// <summary>Queues a point, waiting while the queue is full. Throws <see cref="ChannelClosedException"/> after dispose.</summary>
    public async ValueTask WriteAsync(PointData point, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(point);
        await _channel.Writer.WriteAsync(new Item(point, null), cancellationToken);
        Counters.Queued();
    }

    /// <summary>Sends everything queued before this call and waits until it has been written (or dropped).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _channel.Writer.WriteAsync(new Item(null, done), cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops accepting points, sends what is queued (retrying as configured), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop;
        _writer.Dispose();
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        while (true)
        {
            while (reader.TryRead(out var item))
            {
                if (item.Flushed is { } flushed)
                {
                    await SendAsync();
                    flushed.TrySetResult();
                    continue;
                }

                Add(item.Point!);
                if (_pending >= _options.BatchSize)
                    await SendAsync();
            }

            bool more;
            if (_pending == 0)
            {
                more = await reader.WaitToReadAsync();
            }
            else
            {
                var remaining = _options.FlushInterval - _time.GetElapsedTime(_oldest);
                if (remaining <= TimeSpan.Zero)
                {
                    await SendAsync();
                    continue;
                }

                using var due = new CancellationTokenSource(remaining, _time);
                try
                {
                    more = await reader.WaitToReadAsync(due.Token);
                }
                catch (OperationCanceledException) when (due.IsCancellationRequested)
                {
                    await SendAsync();
                    continue;
                }
            }

            if (!more)
            {
                await SendAsync();
                return;
            }
        }
    }

    private void Add(PointData point)
    {
        var skippedBefore = _writer.FieldsSkipped;
        try
        {
            if (point.WriteTo(_writer))
            {
                if (_pending++ == 0)
                    _oldest = _time.GetTimestamp();
            }
            else
            {
                Counters.Omitted();
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            _writer.Abandon();
            Counters.Drop(InfluxDropReason.Rejected, 1);
            _logger.LogWarning("InfluxDB point {Point} could not be written: {Error}", point.Measurement, ex.Message);
        }

        if (_writer.FieldsSkipped != skippedBefore)
            Counters.SkippedFields(_writer.FieldsSkipped - skippedBefore);
    }

    private async Task SendAsync()
    {
        if (_pending == 0)
            return;
        var started = _time.GetTimestamp();
        try
        {
            var result = await _client.WriteAsync(_buffer.WrittenMemory, _pending, CancellationToken.None);
            Counters.Batch(result, _time.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is InfluxWriteException or HttpRequestException or ObjectDisposedException)
        {
            // The batch is lost, counted and logged; the loop must outlive it or producers would block forever.
            Counters.FailedBatch(_pending, _time.GetElapsedTime(started));
            _logger.LogError(ex, "InfluxDB batch of {Points} point(s) lost: {Error}", _pending, ex.Message);
        }
        finally
        {
            _buffer.ResetWrittenCount();
            _pending = 0;
        }
    }

    private readonly record struct Item(PointData? Point, TaskCompletionSource? Flushed);
}
