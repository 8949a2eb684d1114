namespace Irrigation.Spool;

/// <summary>Where a <see cref="DurableQueue"/> lives and how much disk it may use.</summary>
public sealed class DurableQueueOptions
{
    public const long DefaultMaxBytes = 256L * 1024 * 1024;
    public const int DefaultSegmentBytes = 4 * 1024 * 1024;
    public const int MaxRecordBytes = 16 * 1024 * 1024;

    public string Directory { get; set; } = "";

    /// <summary>Disk budget. When appending would exceed it, the oldest segment is dropped — counted and logged.</summary>
    public long MaxBytes { get; set; } = DefaultMaxBytes;

    /// <summary>Size at which a segment file is closed and a new one started.</summary>
    public int SegmentBytes { get; set; } = DefaultSegmentBytes;

    /// <summary>
    /// When true every <see cref="DurableQueue.Append(ReadOnlySpan{byte})"/> is flushed to the disk (fsync);
    /// when false records reach the OS page cache at once (surviving a process kill) and the disk at the next
    /// <see cref="DurableQueue.Flush"/>.
    /// </summary>
    public bool FsyncEveryAppend { get; set; }

    /// <summary>
    /// True (the default): when the budget is exhausted the oldest segment is dropped, counted and logged.
    /// False: <see cref="DurableQueue.TryAppend"/> refuses new records instead, for callers that can push back.
    /// </summary>
    public bool DropOldestWhenFull { get; set; } = true;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
            throw new ArgumentException("Queue directory is required.");
        if (SegmentBytes < 4096 || SegmentBytes > 512 * 1024 * 1024)
            throw new ArgumentException($"Segment size must be 4 KiB..512 MiB, was {SegmentBytes}.");
        if (MaxBytes < 2L * SegmentBytes)
            throw new ArgumentException($"Queue budget {MaxBytes} must hold at least two segments of {SegmentBytes} bytes.");
    }
}
