using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Irrigation.Spool;

// Segment files, the cursor file and crash recovery. Every method here runs under _sync.
public sealed partial class DurableQueue
{
    private void Recover()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(_options.Directory, "*.seg"))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                _segments[id] = new Segment(id, path, new FileInfo(path).Length, 0);
            else
                _logger.LogWarning("Queue {Directory}: ignoring unexpected file {File}.", _options.Directory, path);
        }

        if (_segments.Count == 0)
            CreateSegment(1);

        // Validate every segment; a torn tail (a kill during a write) is cut off at the last whole record.
        var lastId = _segments.Keys.Max();
        foreach (var segment in _segments.Values)
        {
            var (records, validLength) = Scan(segment);
            segment.Records = records;
            _totalBytes += segment.Length;
            if (validLength < segment.Length)
            {
                _logger.LogWarning("Queue {Directory}: segment {Segment} has {Bytes} bytes of torn or corrupt data after offset {Offset}; truncated.", _options.Directory, segment.Id, segment.Length - validLength, validLength);
                Truncate(segment, validLength);
            }
        }

        _committed = ReadCursor();
        long pending = 0;
        foreach (var segment in _segments.Values.Where(s => s.Id >= _committed.Segment))
            pending += segment.Id == _committed.Segment ? CountRecords(segment, _committed.Offset) : segment.Records;
        _appendedOrdinal = pending;
        _committed = _committed with { Ordinal = 0 };
        _read = _committed;
        DeleteConsumedSegments();

        // Write the cursor back as recovered: one that pointed past a truncated tail would otherwise cover the
        // records appended from now on, and a second crash would skip them.
        PersistCursor();
        _writer = OpenWriter(_segments[lastId]);
        _logger.LogInformation("Queue {Directory}: opened with {Pending} pending record(s) in {Segments} segment(s), {Bytes} bytes.", _options.Directory, pending, _segments.Count, _totalBytes);
    }

    private QueuePosition ReadCursor()
    {
        var path = Path.Combine(_options.Directory, CursorFile);
        var first = _segments.Keys.Min();
        if (!File.Exists(path))
            return new QueuePosition(first, 0, 0);
        var parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var segment)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            if (_segments.TryGetValue(segment, out var s))
                return new QueuePosition(segment, Math.Min(offset, s.Length), 0);
            if (segment < first)
                return new QueuePosition(first, 0, 0);
        }

        _logger.LogWarning("Queue {Directory}: cursor file unreadable or pointing nowhere; replaying from the oldest record.", _options.Directory);
        return new QueuePosition(first, 0, 0);
    }

    private void PersistCursor()
    {
        var path = Path.Combine(_options.Directory, CursorFile);
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"{_committed.Segment} {_committed.Offset}\n"));
        File.Move(temp, path, overwrite: true);
        _lastCursorWrite = Environment.TickCount64;
        _cursorDirty = false;
    }

    private Segment Roll()
    {
        _writer!.Flush(flushToDisk: true);
        _writer.Dispose();
        var segment = CreateSegment(_segments.Keys.Max() + 1);
        _writer = OpenWriter(segment);
        return segment;
    }

    private Segment CreateSegment(long id)
    {
        var path = Path.Combine(_options.Directory, SegmentName(id));
        using (File.Create(path))
        {
            // An empty segment file marks the new tail.
        }

        var segment = new Segment(id, path, 0, 0);
        _segments[id] = segment;
        return segment;
    }

    private static FileStream OpenWriter(Segment segment)
    {
        var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
        stream.Seek(segment.Length, SeekOrigin.Begin);
        return stream;
    }

    /// <summary>Drops the oldest segments while over budget, counting records that were never committed.</summary>
    private void EnforceBudget()
    {
        while (_totalBytes > _options.MaxBytes && _segments.Count > 1)
        {
            var oldest = _segments.Values.First();
            long lost = 0;
            if (oldest.Id >= _committed.Segment)
                lost = oldest.Id == _committed.Segment ? CountRecords(oldest, _committed.Offset) : oldest.Records;
            RemoveSegment(oldest);
            var next = _segments.Keys.Min();
            if (_committed.Segment <= oldest.Id)
                _committed = new QueuePosition(next, 0, _committed.Ordinal + lost);
            if (_read.Segment <= oldest.Id || _read.Ordinal < _committed.Ordinal)
                _read = _committed;
            _cursorDirty = true;
            if (lost > 0)
            {
                Interlocked.Add(ref _dropped, lost);
                _logger.LogWarning("Queue {Directory}: disk budget of {Budget} bytes exhausted; dropped the oldest {Lost} undelivered record(s) (segment {Segment}).", _options.Directory, _options.MaxBytes, lost, oldest.Id);
            }
        }
    }

    /// <summary>Deletes closed segments that lie wholly before the committed position.</summary>
    private void DeleteConsumedSegments()
    {
        var lastId = _segments.Keys.Max();
        foreach (var segment in _segments.Values.Where(s => s.Id != lastId && (s.Id < _committed.Segment || (s.Id == _committed.Segment && _committed.Offset >= s.Length))).ToList())
        {
            RemoveSegment(segment);
            if (_committed.Segment == segment.Id)
                _committed = new QueuePosition(_segments.Keys.Min(), 0, _committed.Ordinal);
            if (_read.Segment == segment.Id && _read.Offset >= segment.Length)
                _read = _read with { Segment = _segments.Keys.Min(), Offset = 0 };
        }
    }

    private void RemoveSegment(Segment segment)
    {
        CloseReader(segment.Id);
        _segments.Remove(segment.Id);
        _totalBytes -= segment.Length;
        File.Delete(segment.Path);
        _cursorDirty = true;
        PersistCursor();
    }

    /// <summary>Cuts a segment off at <paramref name="length"/> on disk; appends to the active segment continue there.</summary>
    private void Truncate(Segment segment, long length)
    {
        // The reader's buffer may still hold the bytes cut off, which new appends are about to overwrite.
        CloseReader(segment.Id);
        if (_writer is not null && segment.Id == _segments.Keys.Max())
        {
            _writer.Flush();
            _writer.SetLength(length);
            _writer.Seek(length, SeekOrigin.Begin);
        }
        else
        {
            using var file = new FileStream(segment.Path, FileMode.Open, FileAccess.Write);
            file.SetLength(length);
        }

        _totalBytes -= segment.Length - length;
        segment.Length = length;
    }

    private void CloseReader(long segmentId)
    {
        if (_readerSegment != segmentId)
            return;
        _reader?.Dispose();
        _reader = null;
        _readerSegment = -1;
    }

    private bool AdvanceReadSegment()
    {
        var next = _segments.Keys.Where(id => id > _read.Segment).DefaultIfEmpty(-1).Min();
        if (next < 0)
            return false;
        _read = _read with { Segment = next, Offset = 0 };
        return true;
    }

    /// <summary>Reads the record at <paramref name="offset"/>; null if it is incomplete or fails its CRC.</summary>
    private byte[]? ReadRecordAt(Segment segment, long offset)
    {
        if (offset + HeaderBytes > segment.Length)
            return null;
        if (_readerSegment != segment.Id)
        {
            _reader?.Dispose();
            _reader = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024);
            _readerSegment = segment.Id;
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        _reader!.Seek(offset, SeekOrigin.Begin);
        if (_reader.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            return null;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length == 0 || length > DurableQueueOptions.MaxRecordBytes || offset + HeaderBytes + length > segment.Length)
            return null;
        var payload = new byte[length];
        if (_reader.ReadAtLeast(payload, (int)length, throwOnEndOfStream: false) < length || Crc32.Compute(payload) != crc)
            return null;
        return payload;
    }

    /// <summary>Counts whole, valid records and the length they span, from the start of a segment file.</summary>
    private (long Records, long ValidLength) Scan(Segment segment)
    {
        long offset = 0, records = 0;
        while (ReadRecordAt(segment, offset) is { } payload)
        {
            offset += HeaderBytes + payload.Length;
            records++;
        }

        return (records, offset);
    }

    /// <summary>Counts the whole, valid records from <paramref name="from"/> to the end of a segment (or a corrupt record).</summary>
    private long CountRecords(Segment segment, long from)
    {
        long offset = from, records = 0;
        while (ReadRecordAt(segment, offset) is { } payload)
        {
            offset += HeaderBytes + payload.Length;
            records++;
        }

        return records;
    }
}
