using Irrigation.Spool.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace Irrigation.Spool.Tests;

/// <summary>The disk budget drops the oldest segment, counted exactly; consumed segments are deleted; retained records can be scanned.</summary>
public sealed partial class DurableQueueTests
{
    private const long ThreeSegments = 3 * SpoolDirectory.SmallSegment;

    // 37 records of 108 bytes (3,996 B) fill a 4 KiB segment. With a 12,288 B budget, the oldest segment is dropped
    // when the fourth one gets its third record (3 × 3,996 + 3 × 108 = 12,312 B).
    private static readonly int PerSegment = Records.PerSegment(SpoolDirectory.SmallSegment);

    [Fact]
    public void Append_FarOverBudgetWithoutCommit_DropsOldestAndCountsExactly()
    {
        var queue = _dir.Open(maxBytes: ThreeSegments);

        Records.AppendNumbered(queue, 1, 1000);

        // 1,000 = 27 full segments + 1: segments 25-28 (3 × 37 + 1 = 112 records, 12,096 B) still fit the budget.
        Assert.Equal(888, queue.DroppedRecords);
        Assert.Equal((112, 112), (queue.Count, queue.Unread));
        Assert.InRange(queue.Bytes, 1, ThreeSegments);
        Assert.Equal(_dir.SegmentFiles().Sum(f => new FileInfo(f).Length), queue.Bytes);
        Assert.Equal(["000000000025.seg", "000000000026.seg", "000000000027.seg", "000000000028.seg"], _dir.SegmentFiles().Select(Path.GetFileName));

        var read = Records.ReadAll(queue, 10);
        Assert.Equal(Records.Range(889, 112), Records.Numbers(read));
        Assert.Contains(_dir.Log.At(LogLevel.Warning), m => m.Contains("disk budget", StringComparison.Ordinal));

        queue.Commit(read[^1].Position);
        Assert.Equal((0, 0), (queue.Count, queue.Unread));
        Assert.Equal(["000000000028.seg"], _dir.SegmentFiles().Select(Path.GetFileName));
    }

    [Fact]
    public void Append_OverBudgetEveryStep_DroppedPlusRemainingIsAlwaysAppended()
    {
        var queue = _dir.Open(maxBytes: ThreeSegments);
        for (var i = 1; i <= 400; i++)
        {
            queue.Append(Records.Numbered(i, 20 + (i * 37 % 300)));
            Assert.Equal(i, queue.DroppedRecords + queue.Count);
            Assert.InRange(queue.Bytes, 1, ThreeSegments);
        }

        var read = Records.ReadAll(queue);
        Assert.Equal(Records.Range(401 - read.Count, read.Count), read.Select(r => Records.NumberOf(r.Payload)));
        Assert.Equal(400 - read.Count, queue.DroppedRecords);
    }

    [Fact]
    public void Append_OverBudgetAfterPartialCommit_CountsOnlyUncommittedAsDropped()
    {
        var queue = _dir.Open(maxBytes: ThreeSegments);
        Records.AppendNumbered(queue, 1, 50);
        var early = queue.ReadBatch(10);
        queue.Commit(early[4].Position);

        Records.AppendNumbered(queue, 51, 950);

        Assert.Equal(1000 - 5 - 112, queue.DroppedRecords);
        Assert.Equal(112, queue.Count);
        var read = Records.ReadAll(queue);
        Assert.Equal(Records.Range(889, 112), Records.Numbers(read));

        queue.Commit(early[9].Position); // a position in a dropped segment: already behind the commit, ignored
        Assert.Equal(112, queue.Count);
        queue.Commit(read[49].Position);
        Assert.Equal(62, queue.Count);
        queue.Rewind();
        Assert.Equal(Records.Range(939, 62), Records.Numbers(Records.ReadAll(queue)));
    }

    [Fact]
    public void Append_OverBudgetWhileReaderIsAhead_DropsTheOldestAndReaderContinues()
    {
        var queue = _dir.Open(maxBytes: ThreeSegments);
        Records.AppendNumbered(queue, 1, 3 * PerSegment);
        Assert.Equal(80, queue.ReadBatch(80).Count); // into the third segment

        Records.AppendNumbered(queue, (3 * PerSegment) + 1, 3);

        Assert.Equal(PerSegment, queue.DroppedRecords); // the first segment, read but never committed
        Assert.Equal((3 * PerSegment) + 3 - PerSegment, queue.Count);
        var rest = Records.ReadAll(queue);
        Assert.Equal(Records.Range(81, (3 * PerSegment) + 3 - 80), Records.Numbers(rest));

        queue.Rewind();
        Assert.Equal(Records.Range(PerSegment + 1, 2 * PerSegment + 3), Records.Numbers(Records.ReadAll(queue)));
        queue.Commit(rest[^1].Position);
        Assert.Equal((0, 0), (queue.Count, queue.Unread));
    }

    [Fact]
    public void Append_OverBudgetThenReopen_ResumesWithTheRetainedRecords()
    {
        var queue = _dir.Open(maxBytes: ThreeSegments);
        Records.AppendNumbered(queue, 1, 10);
        queue.Commit(queue.ReadBatch(3)[^1].Position);
        queue.Flush();
        Records.AppendNumbered(queue, 11, 990);

        var crashed = _dir.Snapshot().Open(maxBytes: ThreeSegments);

        Assert.Equal(112, crashed.Count);
        Assert.Equal(Records.Range(889, 112), Records.Numbers(Records.ReadAll(crashed)));
    }

    [Fact]
    public void Commit_PastWholeSegments_DeletesThemFromDisk()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 4 * PerSegment); // segments 1-4, all full
        var read = Records.ReadAll(queue);

        queue.Commit(read[(2 * PerSegment) + 5].Position);

        Assert.Equal(["000000000003.seg", "000000000004.seg"], _dir.SegmentFiles().Select(Path.GetFileName));
        Assert.Equal(2 * PerSegment * RecordBytes, queue.Bytes);
        Assert.Equal((2 * PerSegment) - 6, queue.Count);
    }

    [Fact]
    public void Commit_ExactlyAtEndOfSegment_DeletesThatSegment()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 3 * PerSegment);
        var read = Records.ReadAll(queue);

        queue.Commit(read[PerSegment - 1].Position);

        Assert.Equal(["000000000002.seg", "000000000003.seg"], _dir.SegmentFiles().Select(Path.GetFileName));
        queue.Rewind();
        Assert.Equal(Records.Range(PerSegment + 1, 2 * PerSegment), Records.Numbers(Records.ReadAll(queue)));
    }

    [Fact]
    public void Commit_EverythingIncludingActiveSegment_KeepsTheActiveSegment()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 4 * PerSegment);

        queue.Commit(Records.ReadAll(queue)[^1].Position);

        Assert.Equal(["000000000004.seg"], _dir.SegmentFiles().Select(Path.GetFileName));
        Assert.Equal(PerSegment * RecordBytes, new FileInfo(_dir.LastSegment()).Length);

        Records.AppendNumbered(queue, 1000, 1); // rolls into segment 5
        queue.Commit(queue.ReadBatch(1).Single().Position);
        Assert.Equal(["000000000005.seg"], _dir.SegmentFiles().Select(Path.GetFileName));
        Assert.Equal(RecordBytes, queue.Bytes);
    }

    [Fact]
    public void Open_AfterConsumedSegmentsDeleted_ResumesAtTheCommit()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 4 * PerSegment);
        queue.Commit(Records.ReadAll(queue)[(2 * PerSegment) + 5].Position);
        queue.Dispose();

        var reopened = _dir.Open();

        Assert.Equal((2 * PerSegment) - 6, reopened.Count);
        Assert.Equal(Records.Range((2 * PerSegment) + 7, (2 * PerSegment) - 6), Records.Numbers(Records.ReadAll(reopened)));
    }

    [Fact]
    public void ScanRetained_PartlyCommitted_ReturnsEveryRecordStillOnDiskInOrder()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 150);
        var read = queue.ReadBatch(60);
        queue.Commit(read[49].Position); // segment 1 is deleted; segment 2 holds committed records 38-50

        var retained = queue.ScanRetained().Select(Records.NumberOf).ToList();

        Assert.Equal(Records.Range(PerSegment + 1, 150 - PerSegment), retained);
        Assert.Equal(100, queue.Count); // scanning does not move the read or commit positions
        Assert.Equal(Records.Range(61, 90), Records.Numbers(Records.ReadAll(queue)));
    }

    [Fact]
    public void ScanRetained_EmptyQueue_ReturnsNothing()
    {
        var queue = _dir.Open();

        Assert.Empty(queue.ScanRetained());
    }

    [Fact]
    public void ScanRetained_SegmentsDeletedWhileEnumerating_SkipsThemWithoutThrowing()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, (4 * PerSegment) + 2);
        using var scan = queue.ScanRetained().GetEnumerator();
        var seen = new List<int>();
        for (var i = 0; i < 10 && scan.MoveNext(); i++)
            seen.Add(Records.NumberOf(scan.Current));

        queue.Commit(Records.ReadAll(queue)[^3].Position); // deletes segments 1-4
        while (scan.MoveNext())
            seen.Add(Records.NumberOf(scan.Current));

        Assert.Equal([.. Records.Range(1, 10), (4 * PerSegment) + 1, (4 * PerSegment) + 2], seen);
    }
}
