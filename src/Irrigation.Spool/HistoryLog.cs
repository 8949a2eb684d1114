using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Spool;

/// <summary>Where a <see cref="HistoryLog"/> lives and how much it keeps.</summary>
public sealed class HistoryLogOptions
{
    public string Directory { get; set; } = "";

    /// <summary>Segments whose newest record is older than this are deleted.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Disk budget; past it the oldest segments are deleted first.</summary>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    public int SegmentBytes { get; set; } = 8 * 1024 * 1024;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
            throw new ArgumentException("History directory is required.");
        if (MaxAge <= TimeSpan.Zero)
            throw new ArgumentException($"History age must be positive, was {MaxAge}.");
        if (SegmentBytes < 4096 || SegmentBytes > 512 * 1024 * 1024)
            throw new ArgumentException($"History segment size must be 4 KiB..512 MiB, was {SegmentBytes}.");
        if (MaxBytes < 2L * SegmentBytes)
            throw new ArgumentException($"History budget {MaxBytes} must hold at least two segments of {SegmentBytes} bytes.");
    }
}

/// <summary>One record read back from a <see cref="HistoryLog"/>.</summary>
public readonly record struct HistoryRecord(string Stream, long Ordinal, long TimestampMs, byte[] Payload);

/// <summary>
/// An append-only log of numbered records per stream (the gateway: telemetry per station by sequence number), kept on
/// disk for <see cref="HistoryLogOptions.MaxAge"/> within <see cref="HistoryLogOptions.MaxBytes"/>, so a range can be
/// read back long after it was delivered. Records are <c>[u32 length][u32 CRC-32][i64 ordinal][i64 timestamp ms]
/// [u8 stream length][stream UTF-8][payload]</c> in segment files; memory holds only each segment's lowest and highest
/// ordinal per stream, so a week of history costs a few kilobytes of RAM. A torn tail (a kill during a write) is cut
/// off at start-up. Thread-safe.
/// </summary>
public sealed class HistoryLog : IDisposable
{
    private const int HeaderBytes = 8;
    private const int FixedBytes = 8 + 8 + 1;
    private const string Extension = ".hist";

    private readonly HistoryLogOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private readonly SortedDictionary<long, Segment> _segments = new();
    private FileStream? _writer;
    private long _totalBytes;
    private bool _disposed;

    private HistoryLog(HistoryLogOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
    }

    private sealed class Segment(long id, string path)
    {
        public long Id { get; } = id;

        public string Path { get; } = path;

        public long Length { get; set; }

        public long NewestTimestampMs { get; set; } = long.MinValue;

        public Dictionary<string, (long Min, long Max)> Streams { get; } = new(StringComparer.Ordinal);

        public void Note(string stream, long ordinal, long timestampMs)
        {
            Streams[stream] = Streams.TryGetValue(stream, out var r) ? (Math.Min(r.Min, ordinal), Math.Max(r.Max, ordinal)) : (ordinal, ordinal);
            NewestTimestampMs = Math.Max(NewestTimestampMs, timestampMs);
        }
    }

    public long Bytes
    {
        get
        {
            lock (_sync)
                return _totalBytes;
        }
    }

    public int Segments
    {
        get
        {
            lock (_sync)
                return _segments.Count;
        }
    }

    public static HistoryLog Open(HistoryLogOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(options.Directory);
        var log = new HistoryLog(options, logger ?? NullLogger.Instance, time ?? TimeProvider.System);
        log.Recover();
        return log;
    }

    /// <summary>Appends one record; it reaches the OS at once (survives a process kill) and the disk at <see cref="Flush"/>.</summary>
    public void Append(string stream, long ordinal, long timestampMs, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var streamBytes = Encoding.UTF8.GetByteCount(stream);
        if (streamBytes is 0 or > byte.MaxValue)
            throw new ArgumentException("A stream name must be 1..255 UTF-8 bytes.", nameof(stream));
        var body = FixedBytes + streamBytes + payload.Length;
        if (payload.IsEmpty || body > DurableQueueOptions.MaxRecordBytes)
            throw new ArgumentException($"A history payload must be 1..{DurableQueueOptions.MaxRecordBytes - FixedBytes - streamBytes} bytes.", nameof(payload));
        var record = new byte[HeaderBytes + body];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)body);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(8), ordinal);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(16), timestampMs);
        record[24] = (byte)streamBytes;
        Encoding.UTF8.GetBytes(stream, record.AsSpan(25));
        payload.CopyTo(record.AsSpan(25 + streamBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), Crc32.Compute(record.AsSpan(HeaderBytes)));
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var active = _segments[_segments.Keys.Max()];
            if (active.Length > 0 && active.Length + record.Length > _options.SegmentBytes)
                active = Roll(active);
            _writer!.Write(record);
            _writer.Flush();
            active.Length += record.Length;
            active.Note(stream, ordinal, timestampMs);
            _totalBytes += record.Length;
            if (_totalBytes > _options.MaxBytes)
                DropOldest("over the disk budget");
        }
    }

    /// <summary>The highest ordinal kept for each stream (the gateway recovers its sequence numbers from it).</summary>
    public Dictionary<string, long> NewestOrdinals()
    {
        lock (_sync)
        {
            var newest = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var segment in _segments.Values)
            {
                foreach (var (stream, range) in segment.Streams)
                    newest[stream] = Math.Max(newest.GetValueOrDefault(stream), range.Max);
            }

            return newest;
        }
    }

    /// <summary>
    /// The records of <paramref name="stream"/> with ordinals in <c>[from, to]</c>, oldest segment first, at most
    /// <paramref name="max"/>. Reads only the segments whose range for the stream overlaps.
    /// </summary>
    public List<HistoryRecord> Read(string stream, long from, long to, int max)
    {
        ArgumentNullException.ThrowIfNull(stream);
        List<(string Path, long Length)> candidates;
        lock (_sync)
        {
            candidates = _segments.Values
                .Where(s => s.Streams.TryGetValue(stream, out var r) && r.Min <= to && r.Max >= from)
                .Select(s => (s.Path, s.Length))
                .ToList();
        }

        var found = new List<HistoryRecord>();
        foreach (var (path, length) in candidates)
        {
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
                foreach (var record in ReadRecords(file, length))
                {
                    if (record.Ordinal >= from && record.Ordinal <= to && record.Stream == stream)
                    {
                        found.Add(record);
                        if (found.Count >= max)
                            return found;
                    }
                }
            }
            catch (FileNotFoundException)
            {
                // pruned while we read: what it held is gone, and the caller reports it missing
            }
        }

        return found;
    }

    /// <summary>Deletes segments past <see cref="HistoryLogOptions.MaxAge"/>; returns how many.</summary>
    public int Prune()
    {
        var cutoff = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.MaxAge.TotalMilliseconds;
        var dropped = 0;
        lock (_sync)
        {
            while (_segments.Count > 1 && _segments.Values.First() is { } oldest && oldest.NewestTimestampMs < cutoff)
            {
                Delete(oldest, "older than the history's age limit");
                dropped++;
            }
        }

        return dropped;
    }

    /// <summary>Forces what was appended to the disk (fsync).</summary>
    public void Flush()
    {
        lock (_sync)
        {
            if (!_disposed)
                _writer?.Flush(flushToDisk: true);
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
                return;
            _disposed = true;
            _writer?.Flush(flushToDisk: true);
            _writer?.Dispose();
        }
    }

    private void Recover()
    {
        foreach (var path in Directory.EnumerateFiles(_options.Directory, "*" + Extension))
        {
            if (!long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                _logger.LogWarning("History {Directory}: ignoring unexpected file {File}.", _options.Directory, path);
                continue;
            }

            var segment = new Segment(id, path);
            long valid;
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024))
            {
                valid = 0;
                foreach (var record in ReadRecords(file, file.Length))
                {
                    segment.Note(record.Stream, record.Ordinal, record.TimestampMs);
                    valid = file.Position;
                }

                if (valid < file.Length)
                    _logger.LogWarning("History {Directory}: segment {Segment} has {Bytes} torn or corrupt bytes after offset {Offset}; truncated.", _options.Directory, id, file.Length - valid, valid);
            }

            using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            {
                if (truncate.Length != valid)
                    truncate.SetLength(valid);
            }

            segment.Length = valid;
            _segments[id] = segment;
            _totalBytes += valid;
        }

        if (_segments.Count == 0)
            _segments[1] = new Segment(1, SegmentPath(1));
        var active = _segments[_segments.Keys.Max()];
        _writer = OpenWriter(active.Path);
        Prune();
        _logger.LogInformation("History {Directory}: {Segments} segment(s), {Bytes} bytes.", _options.Directory, _segments.Count, _totalBytes);
    }

    /// <summary>Whole, CRC-checked records from the start of <paramref name="file"/> up to <paramref name="length"/>; stops at the first bad one.</summary>
    private static IEnumerable<HistoryRecord> ReadRecords(FileStream file, long length)
    {
        var header = new byte[HeaderBytes];
        while (file.Position + HeaderBytes <= length)
        {
            file.ReadExactly(header);
            var body = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            if (body < FixedBytes + 1 || body > DurableQueueOptions.MaxRecordBytes || file.Position + body > length)
                yield break;
            var bytes = new byte[body];
            file.ReadExactly(bytes);
            if (Crc32.Compute(bytes) != crc)
                yield break;
            int streamBytes = bytes[16];
            if (streamBytes == 0 || FixedBytes + streamBytes >= body)
                yield break;
            yield return new HistoryRecord(
                Encoding.UTF8.GetString(bytes, FixedBytes, streamBytes),
                BinaryPrimitives.ReadInt64LittleEndian(bytes),
                BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)),
                bytes.AsSpan(FixedBytes + streamBytes).ToArray());
        }
    }

    private Segment Roll(Segment active)
    {
        _writer!.Flush(flushToDisk: true);
        _writer.Dispose();
        var next = new Segment(active.Id + 1, SegmentPath(active.Id + 1));
        _segments[next.Id] = next;
        _writer = OpenWriter(next.Path);
        return next;
    }

    private void DropOldest(string why)
    {
        while (_totalBytes > _options.MaxBytes && _segments.Count > 1)
            Delete(_segments.Values.First(), why);
    }

    private void Delete(Segment segment, string why)
    {
        _segments.Remove(segment.Id);
        _totalBytes -= segment.Length;
        File.Delete(segment.Path);
        _logger.LogInformation("History {Directory}: deleted segment {Segment} ({Bytes} bytes, {Streams} stream(s)) {Why}.", _options.Directory, segment.Id, segment.Length, segment.Streams.Count, why);
    }

    private string SegmentPath(long id) => Path.Combine(_options.Directory, id.ToString("D12", CultureInfo.InvariantCulture) + Extension);

    private static FileStream OpenWriter(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
}
