using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Spool;

/// <summary>A place in the queue: just after a record (segment id and byte offset), plus the record's ordinal.</summary>
public readonly record struct QueuePosition(long Segment, long Offset, long Ordinal);

/// <summary>A record read from the queue. Commit <see cref="Position"/> once it is safely delivered.</summary>
public sealed record QueueRecord(QueuePosition Position, byte[] Payload);

/// <summary>
/// A bounded FIFO of byte records on disk that survives a process kill. Records are appended to segment files
/// as <c>[u32 length][u32 CRC-32][payload]</c>; a reader reads ahead of a committed cursor and commits what was
/// delivered, so after a crash or a lost connection delivery restarts from the last commit (at-least-once).
/// When the disk budget is exhausted the oldest segment is dropped, counted and logged. Thread-safe.
/// </summary>
public sealed partial class DurableQueue : IDisposable
{
    private const int HeaderBytes = 8;
    private const string CursorFile = "cursor";
    private static readonly TimeSpan CursorPersistInterval = TimeSpan.FromMilliseconds(100);

    private readonly DurableQueueOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly SortedDictionary<long, Segment> _segments = new();
    private readonly SemaphoreSlim _dataAvailable = new(0, 1);
    private FileStream? _writer;
    private FileStream? _reader;
    private long _readerSegment = -1;
    private QueuePosition _committed;
    private QueuePosition _read;
    private long _appendedOrdinal;
    private long _totalBytes;
    private long _dropped;
    private long _lastCursorWrite;
    private bool _cursorDirty;
    private bool _disposed;

    private DurableQueue(DurableQueueOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>Records appended and not yet committed.</summary>
    public long Count
    {
        get
        {
            lock (_sync)
                return _appendedOrdinal - _committed.Ordinal;
        }
    }

    /// <summary>Records appended but not yet handed out by <see cref="ReadBatch"/> since the last rewind.</summary>
    public long Unread
    {
        get
        {
            lock (_sync)
                return _appendedOrdinal - _read.Ordinal;
        }
    }

    /// <summary>Bytes on disk, all segments.</summary>
    public long Bytes
    {
        get
        {
            lock (_sync)
                return _totalBytes;
        }
    }

    /// <summary>Records lost to the disk budget or to corruption since the queue was opened.</summary>
    public long DroppedRecords => Interlocked.Read(ref _dropped);

    public string Directory => _options.Directory;

    /// <summary>Opens (creating or recovering) the queue in <see cref="DurableQueueOptions.Directory"/>.</summary>
    public static DurableQueue Open(DurableQueueOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        System.IO.Directory.CreateDirectory(options.Directory);
        var queue = new DurableQueue(options, logger ?? NullLogger.Instance);
        queue.Recover();
        return queue;
    }

    /// <summary>Appends one record. Throws <see cref="ArgumentException"/> for an empty or oversized record.</summary>
    public void Append(ReadOnlySpan<byte> record)
    {
        if (!TryAppend(record))
            throw new InvalidOperationException($"Queue {_options.Directory} is full ({_options.MaxBytes} bytes) and set to reject rather than drop.");
    }

    /// <summary>
    /// Appends one record, or returns false — writing nothing — when the queue is full and
    /// <see cref="DurableQueueOptions.DropOldestWhenFull"/> is off, so the caller can apply back-pressure.
    /// </summary>
    public bool TryAppend(ReadOnlySpan<byte> record)
    {
        if (record.IsEmpty || record.Length > DurableQueueOptions.MaxRecordBytes)
            throw new ArgumentException($"A record must be 1..{DurableQueueOptions.MaxRecordBytes} bytes, was {record.Length}.", nameof(record));
        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)record.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32.Compute(record));
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_options.DropOldestWhenFull && _totalBytes + HeaderBytes + record.Length > _options.MaxBytes)
                return false;
            var active = _segments[_segments.Keys.Max()];
            if (active.Length > 0 && active.Length + HeaderBytes + record.Length > _options.SegmentBytes)
                active = Roll();
            _writer!.Write(header);
            _writer.Write(record);
            _writer.Flush(_options.FsyncEveryAppend);
            active.Length += HeaderBytes + record.Length;
            active.Records++;
            _totalBytes += HeaderBytes + record.Length;
            _appendedOrdinal++;
            EnforceBudget();
        }

        if (_dataAvailable.CurrentCount == 0)
        {
            try
            {
                _dataAvailable.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another appender signalled at the same moment: the reader is woken either way.
                _logger.LogTrace("Queue signal already set.");
            }
        }

        return true;
    }

    /// <summary>Waits until there is something to read (or cancellation).</summary>
    public async Task WaitForDataAsync(CancellationToken cancellationToken)
    {
        while (Unread == 0)
            await _dataAvailable.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
    }

    /// <summary>Reads up to <paramref name="maxRecords"/> records after the read position and advances it.</summary>
    public IReadOnlyList<QueueRecord> ReadBatch(int maxRecords)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRecords);
        var batch = new List<QueueRecord>(Math.Min(maxRecords, 256));
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (batch.Count < maxRecords && _read.Ordinal < _appendedOrdinal)
            {
                if (!_segments.TryGetValue(_read.Segment, out var segment) || _read.Offset >= segment.Length)
                {
                    if (!AdvanceReadSegment())
                        break;
                    continue;
                }

                var payload = ReadRecordAt(segment, _read.Offset);
                if (payload is null)
                {
                    // A record that passed recovery no longer reads back (the file was damaged while open): the rest
                    // of the segment is unreadable. Cut the segment off here, as recovery would, and take exactly the
                    // records it held from here (every unread record not in a later segment) out of the count, so
                    // the ordinals of later records stay the same on a re-read after a rewind.
                    var lost = _appendedOrdinal - _read.Ordinal - _segments.Values.Where(s => s.Id > segment.Id).Sum(s => s.Records);
                    Interlocked.Add(ref _dropped, lost);
                    _logger.LogError("Queue {Directory}: corrupt record in segment {Segment} at {Offset}; dropped the rest of the segment ({Lost} record(s)).", _options.Directory, segment.Id, _read.Offset, lost);
                    segment.Records -= lost;
                    _appendedOrdinal -= lost;
                    Truncate(segment, _read.Offset);
                    continue;
                }

                _read = new QueuePosition(segment.Id, _read.Offset + HeaderBytes + payload.Length, _read.Ordinal + 1);
                batch.Add(new QueueRecord(_read, payload));
            }
        }

        return batch;
    }

    /// <summary>Marks every record up to and including <paramref name="position"/> as delivered.</summary>
    public void Commit(QueuePosition position)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (position.Ordinal <= _committed.Ordinal)
                return;
            _committed = position;
            if (_read.Ordinal < _committed.Ordinal)
                _read = _committed;
            DeleteConsumedSegments();
            _cursorDirty = true;
            var now = Environment.TickCount64;
            if (now - _lastCursorWrite >= CursorPersistInterval.TotalMilliseconds)
                PersistCursor();
        }
    }

    /// <summary>Moves the read position back to the last commit: unacknowledged records are read again.</summary>
    public void Rewind()
    {
        lock (_sync)
            _read = _committed;
    }

    /// <summary>Forces appended records and the cursor to disk.</summary>
    public void Flush()
    {
        lock (_sync)
        {
            if (_disposed)
                return;
            _writer?.Flush(flushToDisk: true);
            if (_cursorDirty)
                PersistCursor();
        }
    }

    /// <summary>Every record still on disk, committed or not, oldest first (for recovery scans by the owner).</summary>
    public IEnumerable<byte[]> ScanRetained()
    {
        List<Segment> segments;
        lock (_sync)
            segments = _segments.Values.Select(s => s.Clone()).ToList();
        foreach (var segment in segments)
        {
            long offset = 0;
            while (offset < segment.Length)
            {
                byte[]? payload;

                // A segment deleted meanwhile (committed or dropped) has nothing left on disk to read.
                lock (_sync)
                    payload = _disposed || !_segments.ContainsKey(segment.Id) ? null : ReadRecordAt(segment, offset);
                if (payload is null)
                    break;
                offset += HeaderBytes + payload.Length;
                yield return payload;
            }
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
                return;
            _writer?.Flush(flushToDisk: true);
            if (_cursorDirty)
                PersistCursor();
            _writer?.Dispose();
            _reader?.Dispose();
            _disposed = true;
        }

        _dataAvailable.Dispose();
    }

    private sealed class Segment
    {
        public Segment(long id, string path, long length, long records)
        {
            Id = id;
            Path = path;
            Length = length;
            Records = records;
        }

        public long Id { get; }

        public string Path { get; }

        public long Length { get; set; }

        public long Records { get; set; }

        public Segment Clone() => new(Id, Path, Length, Records);
    }

    private static string SegmentName(long id) => id.ToString("D12", CultureInfo.InvariantCulture) + ".seg";
}
