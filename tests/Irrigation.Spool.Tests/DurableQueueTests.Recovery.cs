using Irrigation.Spool.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace Irrigation.Spool.Tests;

/// <summary>Rewind, reopen after a clean shutdown, and recovery after a crash: nothing committed is lost, torn tails are cut off.</summary>
public sealed partial class DurableQueueTests
{
    [Fact]
    public void Rewind_AfterPartialCommit_RedeliversExactlyTheUncommittedRecordsInOrder()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 10);
        var batch = queue.ReadBatch(8);
        queue.Commit(batch[2].Position);

        queue.Rewind();

        Assert.Equal((7, 7), (queue.Count, queue.Unread));
        Assert.Equal(Records.Range(4, 7), Records.Numbers(queue.ReadBatch(100)));
    }

    [Fact]
    public void Rewind_NothingCommitted_RedeliversFromTheStart()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 5);
        queue.ReadBatch(3);

        queue.Rewind();

        Assert.Equal(Records.Range(1, 5), Records.Numbers(queue.ReadBatch(100)));
    }

    [Fact]
    public void Rewind_UncommittedRecordsSpanSegments_RedeliversAllInOrderTwice()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 300);
        var first = Records.ReadAll(queue, 13);
        queue.Commit(first[99].Position);

        queue.Rewind();
        var second = Records.ReadAll(queue, 17);
        queue.Rewind();
        var third = Records.ReadAll(queue, 300);

        Assert.Equal(Records.Range(101, 200), Records.Numbers(second));
        Assert.Equal(Records.Range(101, 200), Records.Numbers(third));
    }

    [Fact]
    public void Rewind_EverythingCommitted_DeliversNothingAgain()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 200);
        queue.Commit(Records.ReadAll(queue)[^1].Position);

        queue.Rewind();

        Assert.Empty(queue.ReadBatch(10));
        Assert.Equal((0, 0), (queue.Count, queue.Unread));
    }

    [Fact]
    public void Open_AfterDispose_UncommittedComeBackInOrderCommittedDoNot()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 200);
        var read = Records.ReadAll(queue, 50);
        queue.Commit(read[119].Position);
        queue.Dispose();

        var reopened = _dir.Open();

        Assert.Equal((80, 80), (reopened.Count, reopened.Unread));
        Assert.Equal(Records.Range(121, 80), Records.Numbers(Records.ReadAll(reopened)));
    }

    [Fact]
    public void Open_AfterDisposeNothingCommitted_EverythingComesBack()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 50);
        queue.ReadBatch(20);
        queue.Dispose();

        var reopened = _dir.Open();

        Assert.Equal(50, reopened.Count);
        Assert.Equal(Records.Range(1, 50), Records.Numbers(Records.ReadAll(reopened)));
    }

    [Fact]
    public void Open_AfterDisposeEverythingCommitted_IsEmptyAndAppendsContinue()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 100);
        queue.Commit(Records.ReadAll(queue)[^1].Position);
        var bytes = queue.Bytes;
        queue.Dispose();

        var reopened = _dir.Open();
        Assert.Equal((0, 0, bytes), (reopened.Count, reopened.Unread, reopened.Bytes));
        Assert.Empty(reopened.ReadBatch(10));

        Records.AppendNumbered(reopened, 101, 100);
        Assert.Equal(Records.Range(101, 100), Records.Numbers(Records.ReadAll(reopened)));
    }

    [Fact]
    public void Open_ManyTimes_EachSessionCommitsSomeAndTheRestComesBack()
    {
        var next = 1;
        var expectedNext = 1;
        for (var session = 0; session < 5; session++)
        {
            using var queue = _dir.Open();
            Assert.Equal(next - expectedNext, queue.Count);
            Records.AppendNumbered(queue, next, 60);
            next += 60;

            var read = Records.ReadAll(queue, 25);
            Assert.Equal(Records.Range(expectedNext, next - expectedNext), Records.Numbers(read));
            var commit = read[read.Count / 2];
            queue.Commit(commit.Position);
            expectedNext = Records.NumberOf(commit.Payload) + 1;
        }
    }

    [Fact]
    public void Open_CopyTakenWhileOpen_ReplaysFromLastPersistedCommitNeverLoses()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 20);
        var read = queue.ReadBatch(20);
        Thread.Sleep(150); // past the cursor's persist interval: the next commit is written through
        queue.Commit(read[9].Position);
        queue.Commit(read[14].Position); // within 100 ms of the previous write: normally only in memory

        var crashed = _dir.Snapshot().Open();

        var replay = Records.Numbers(Records.ReadAll(crashed));
        Assert.Contains(replay[0], new[] { 11, 16 });
        Assert.Equal(Records.Range(replay[0], 21 - replay[0]), replay);
        Assert.Equal(replay.Length, crashed.Count);
    }

    [Fact]
    public void Open_CopyTakenAfterFlush_ResumesRightAfterLastCommit()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 20);
        var read = queue.ReadBatch(20);
        queue.Commit(read[9].Position);
        queue.Commit(read[14].Position);
        queue.Flush();

        var crashed = _dir.Snapshot().Open();

        Assert.Equal(5, crashed.Count);
        Assert.Equal(Records.Range(16, 5), Records.Numbers(Records.ReadAll(crashed)));
    }

    [Fact]
    public void Open_CopiesTakenThroughoutADrain_EachReplaysASuffixStartingNoLaterThanTheCommit()
    {
        var queue = _dir.Open();
        var appended = 0;
        var committedUpTo = 0;
        for (var round = 0; round < 12; round++)
        {
            Records.AppendNumbered(queue, appended + 1, 40);
            appended += 40;
            var batch = queue.ReadBatch(round % 2 == 0 ? 30 : 45);
            if (batch.Count > 0)
            {
                queue.Commit(batch[^1].Position);
                committedUpTo = Records.NumberOf(batch[^1].Payload);
            }

            using var snapshot = _dir.Snapshot();
            using var crashed = snapshot.Open();
            var replay = Records.Numbers(Records.ReadAll(crashed));

            // At-least-once: the replay may start earlier than the last commit, never later, and runs to the end.
            Assert.NotEmpty(replay);
            Assert.InRange(replay[0], 1, committedUpTo + 1);
            Assert.Equal(Records.Range(replay[0], appended - replay[0] + 1), replay);
        }
    }

    [Fact]
    public void Open_CopyTakenWhileOpen_KeepsEveryAppendedRecord()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 150);

        var crashed = _dir.Snapshot().Open();

        Assert.Equal(150, crashed.Count);
        Assert.Equal(Records.Range(1, 150), Records.Numbers(Records.ReadAll(crashed)));
    }

    public static TheoryData<string, byte[]> TornTails => new()
    {
        { "partial header", [0x10, 0x27, 0x00] },
        { "header, partial payload", [0x64, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
        { "zeroed blocks", new byte[600] },
        { "whole record, wrong CRC", [0x04, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4] },
        { "length beyond the maximum", [0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0, 1, 2, 3, 4] },
    };

    [Theory]
    [MemberData(nameof(TornTails))]
    public void Open_TornTail_TruncatesToWholeRecordsAndNewAppendsReadBack(string tail, byte[] garbage)
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 3);
        queue.Commit(queue.ReadBatch(1)[0].Position);
        queue.Dispose();
        SpoolDirectory.AppendToFile(_dir.LastSegment(), garbage);

        var reopened = _dir.Open();

        Assert.Equal(3 * RecordBytes, new FileInfo(_dir.LastSegment()).Length);
        Assert.Equal((2, 3 * RecordBytes), (reopened.Count, reopened.Bytes));
        Assert.Contains(_dir.Log.At(LogLevel.Warning), m => m.Contains("truncated", StringComparison.Ordinal));
        Records.AppendNumbered(reopened, 4, 2);
        Assert.True(Records.Numbers(Records.ReadAll(reopened)).SequenceEqual([2, 3, 4, 5]), tail);

        reopened.Dispose();
        var again = _dir.Open();
        Assert.Equal([2, 3, 4, 5], Records.Numbers(Records.ReadAll(again)));
    }

    [Fact]
    public void Open_TornTailAfterSeveralSegments_KeepsEveryWholeRecord()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 100);
        var crashed = _dir.Snapshot();
        SpoolDirectory.AppendToFile(crashed.LastSegment(), [0x64, 0, 0, 0, 1, 2, 3, 4, 5, 6]);

        var reopened = crashed.Open();
        Records.AppendNumbered(reopened, 101, 50);

        Assert.Equal(150, reopened.Count);
        Assert.Equal(Records.Range(1, 150), Records.Numbers(Records.ReadAll(reopened)));
    }

    [Fact]
    public void Open_CorruptCrcInMiddleOfLastSegment_TruncatesThereAndLogs()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 10);
        queue.Dispose();
        var corruptAt = 4 * RecordBytes;
        SpoolDirectory.OverwriteFile(_dir.LastSegment(), corruptAt + Records.HeaderBytes + 50, [0xFF]);

        var reopened = _dir.Open();

        Assert.Equal(corruptAt, new FileInfo(_dir.LastSegment()).Length);
        Assert.Equal((4, corruptAt), (reopened.Count, reopened.Bytes));
        var warning = Assert.Single(_dir.Log.At(LogLevel.Warning));
        Assert.Contains($"{6 * RecordBytes} bytes", warning, StringComparison.Ordinal);
        Records.AppendNumbered(reopened, 11, 1);
        Assert.Equal([1, 2, 3, 4, 11], Records.Numbers(Records.ReadAll(reopened)));
    }

    [Fact]
    public void Open_CursorFileGarbage_ReplaysFromOldestRecordAndLogs()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 5);
        queue.Commit(queue.ReadBatch(3)[^1].Position);
        queue.Dispose();
        File.WriteAllText(Path.Combine(_dir.Path, "cursor"), "not a cursor");

        var reopened = _dir.Open();

        Assert.Equal(Records.Range(1, 5), Records.Numbers(Records.ReadAll(reopened)));
        Assert.Contains(_dir.Log.At(LogLevel.Warning), m => m.Contains("cursor", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_CursorPersisted_IsSegmentSpaceOffset()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 5);
        queue.Commit(queue.ReadBatch(2)[^1].Position);
        queue.Dispose();

        Assert.Equal($"1 {2 * RecordBytes}\n", File.ReadAllText(Path.Combine(_dir.Path, "cursor")));
    }

    [Fact]
    public void Open_CursorPastEndOfTruncatedSegment_RecordsAppendedAfterRecoverySurviveTheNextCrash()
    {
        // After a power cut the page cache may lose appended bytes the cursor already covers.
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 5);
        queue.Commit(queue.ReadBatch(5)[^1].Position);
        queue.Dispose();
        File.WriteAllText(Path.Combine(_dir.Path, "cursor"), $"1 {10 * RecordBytes}\n");

        var recovered = _dir.Open();
        Assert.Equal(0, recovered.Count);
        Records.AppendNumbered(recovered, 6, 10);

        var crashed = _dir.Snapshot().Open();
        Assert.Equal(Records.Range(6, 10), Records.Numbers(Records.ReadAll(crashed)));
    }

    [Fact]
    public void Open_UnexpectedFileInDirectory_IsIgnoredWithWarning()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 2);
        queue.Dispose();
        File.WriteAllText(Path.Combine(_dir.Path, "notes.seg"), "hello");

        var reopened = _dir.Open();

        Assert.Equal([1, 2], Records.Numbers(Records.ReadAll(reopened)));
        Assert.Contains(_dir.Log.At(LogLevel.Warning), m => m.Contains("notes.seg", StringComparison.Ordinal));
    }

    [Fact]
    public void ReadBatch_ClosedSegmentCorruptedWhileOpen_SkipsRestOfSegmentCountsExactlyAndDrains()
    {
        var queue = _dir.Open();
        var perSegment = Records.PerSegment(SpoolDirectory.SmallSegment);
        Records.AppendNumbered(queue, 1, 3 * perSegment);
        var second = _dir.SegmentFiles()[1];
        SpoolDirectory.OverwriteFile(second, (10 * RecordBytes) + Records.HeaderBytes + 3, [0xFF]);

        var read = Records.Numbers(Records.ReadAll(queue));

        int[] expected = [.. Records.Range(1, perSegment + 10), .. Records.Range((2 * perSegment) + 1, perSegment)];
        Assert.Equal(expected, read);
        Assert.Equal(perSegment - 10, queue.DroppedRecords);
        Assert.Equal(0, queue.Unread);
        Assert.Contains(_dir.Log.At(LogLevel.Error), m => m.Contains("corrupt", StringComparison.Ordinal));
        Assert.Equal(_dir.SegmentFiles().Sum(f => new FileInfo(f).Length), queue.Bytes);

        queue.Rewind();
        var again = Records.ReadAll(queue);
        Assert.Equal(expected, Records.Numbers(again));
        Assert.Equal(perSegment - 10, queue.DroppedRecords);
        queue.Commit(again[^1].Position);
        Assert.Equal((0, 0), (queue.Count, queue.Unread));
    }

    [Fact]
    public void ReadBatch_ActiveSegmentCorruptedWhileOpen_SkipsRestAndLaterAppendsReadBack()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 10);
        SpoolDirectory.OverwriteFile(_dir.LastSegment(), (4 * RecordBytes) + 2, [0xFF]);

        Assert.Equal([1, 2, 3, 4], Records.Numbers(Records.ReadAll(queue)));
        Assert.Equal(6, queue.DroppedRecords);
        Records.AppendNumbered(queue, 11, 3);

        var read = Records.ReadAll(queue);
        Assert.Equal([11, 12, 13], Records.Numbers(read));
        queue.Commit(read[^1].Position);
        Assert.Equal((0, 0), (queue.Count, queue.Unread));
        queue.Dispose();

        var reopened = _dir.Open();
        Assert.Equal(0, reopened.Count);
        Records.AppendNumbered(reopened, 14, 1);
        Assert.Equal([14], Records.Numbers(Records.ReadAll(reopened)));
    }
}
