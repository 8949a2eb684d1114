using Irrigation.Spool.Tests.TestSupport;

namespace Irrigation.Spool.Tests;

/// <summary><see cref="DurableQueueOptions.Validate"/>: a directory, a sane segment size, a budget of at least two segments.</summary>
public sealed class DurableQueueOptionsTests : IDisposable
{
    private const int MaxSegment = 512 * 1024 * 1024;

    private readonly SpoolDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Validate_Defaults_WithDirectory_Passes()
    {
        var options = new DurableQueueOptions { Directory = _dir.Path };

        options.Validate();
        Assert.Equal((256L * 1024 * 1024, 4 * 1024 * 1024, false), (options.MaxBytes, options.SegmentBytes, options.FsyncEveryAppend));
        Assert.Equal(16 * 1024 * 1024, DurableQueueOptions.MaxRecordBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_NoDirectory_ThrowsArgumentException(string directory)
    {
        var error = Assert.Throws<ArgumentException>(() => new DurableQueueOptions { Directory = directory }.Validate());

        Assert.Contains("directory", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4095)]
    [InlineData(MaxSegment + 1)]
    [InlineData(-4096)]
    public void Validate_SegmentSizeOutOfRange_ThrowsArgumentException(int segmentBytes)
    {
        var options = new DurableQueueOptions { Directory = _dir.Path, SegmentBytes = segmentBytes, MaxBytes = long.MaxValue };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains($"was {segmentBytes}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(MaxSegment)]
    public void Validate_SegmentSizeAtLimits_Passes(int segmentBytes) =>
        new DurableQueueOptions { Directory = _dir.Path, SegmentBytes = segmentBytes, MaxBytes = 2L * segmentBytes }.Validate();

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    [InlineData(8191)]
    public void Validate_BudgetUnderTwoSegments_ThrowsArgumentException(long maxBytes)
    {
        var options = new DurableQueueOptions { Directory = _dir.Path, SegmentBytes = 4096, MaxBytes = maxBytes };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("two segments", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_InvalidOptions_ThrowsBeforeCreatingTheDirectory()
    {
        var directory = Path.Combine(_dir.Path, "never");

        Assert.Throws<ArgumentException>(() => DurableQueue.Open(new DurableQueueOptions { Directory = directory, SegmentBytes = 100 }));
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void Open_NullOptions_ThrowsArgumentNull() =>
        Assert.Throws<ArgumentNullException>(() => DurableQueue.Open(null!));

    [Fact]
    public void Open_MissingDirectory_CreatesItWithAFirstEmptySegment()
    {
        var directory = Path.Combine(_dir.Path, "a", "b");

        using var queue = DurableQueue.Open(new DurableQueueOptions { Directory = directory, SegmentBytes = 4096, MaxBytes = 8192 });

        Assert.Equal(directory, queue.Directory);
        Assert.Equal(0, new FileInfo(Path.Combine(directory, "000000000001.seg")).Length);
        Assert.Equal((0, 0, 0), (queue.Count, queue.Bytes, queue.DroppedRecords));
    }
}
