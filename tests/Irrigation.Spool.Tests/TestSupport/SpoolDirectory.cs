using Microsoft.Extensions.Logging;

namespace Irrigation.Spool.Tests.TestSupport;

/// <summary>
/// A fresh temporary queue directory per test, deleted on dispose together with every queue opened on it.
/// <see cref="Snapshot"/> copies the files of an open queue, which is what a kill -9 leaves behind.
/// </summary>
internal sealed class SpoolDirectory : IDisposable
{
    public const int SmallSegment = 4096;

    private readonly List<DurableQueue> _opened = [];
    private readonly List<SpoolDirectory> _snapshots = [];

    public SpoolDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "spool-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public CapturingLogger Log { get; } = new();

    public DurableQueueOptions Options(int segmentBytes = SmallSegment, long? maxBytes = null) =>
        new() { Directory = Path, SegmentBytes = segmentBytes, MaxBytes = maxBytes ?? 1024L * segmentBytes };

    public DurableQueue Open(int segmentBytes = SmallSegment, long? maxBytes = null) => Track(DurableQueue.Open(Options(segmentBytes, maxBytes), Log));

    public DurableQueue Open(DurableQueueOptions options) => Track(DurableQueue.Open(options, Log));

    /// <summary>Copies every file as it is on disk right now, without closing anything: the state a crash leaves.</summary>
    public SpoolDirectory Snapshot()
    {
        var copy = new SpoolDirectory();
        foreach (var file in Directory.EnumerateFiles(Path))
            File.Copy(file, System.IO.Path.Combine(copy.Path, System.IO.Path.GetFileName(file)));
        _snapshots.Add(copy);
        return copy;
    }

    public string[] SegmentFiles() => [.. Directory.EnumerateFiles(Path, "*.seg").Order(StringComparer.Ordinal)];

    public string LastSegment() => SegmentFiles()[^1];

    public static void AppendToFile(string path, ReadOnlySpan<byte> bytes)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        file.Write(bytes);
    }

    public static void OverwriteFile(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.Seek(offset, SeekOrigin.Begin);
        file.Write(bytes);
    }

    public void Dispose()
    {
        foreach (var queue in _opened)
            queue.Dispose();
        foreach (var snapshot in _snapshots)
            snapshot.Dispose();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }

    private DurableQueue Track(DurableQueue queue)
    {
        _opened.Add(queue);
        return queue;
    }
}
