using Irrigation.Spool.Tests.TestSupport;

namespace Irrigation.Spool.Tests;

/// <summary><see cref="DurableQueue"/>: append, read ahead, commit, counts, waiting for data, argument checks.</summary>
public sealed partial class DurableQueueTests : IDisposable
{
    private const int Size = 100;
    private const int RecordBytes = Records.HeaderBytes + Size;

    private readonly SpoolDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReadBatch_AfterAppends_ReturnsRecordsInAppendOrder()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 10);

        var batch = queue.ReadBatch(100);

        Assert.Equal(Records.Range(1, 10), Records.Numbers(batch));
        Assert.Equal(Records.Range(1, 10), batch.Select(r => (int)r.Position.Ordinal));
    }

    [Fact]
    public void ReadBatch_EmptyQueue_ReturnsEmpty()
    {
        var queue = _dir.Open();

        Assert.Empty(queue.ReadBatch(10));
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.Unread);
        Assert.Equal(0, queue.Bytes);
    }

    [Fact]
    public void ReadBatch_AllRead_ReturnsEmptyUntilNextAppend()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 3);
        Assert.Equal(3, queue.ReadBatch(10).Count);

        Assert.Empty(queue.ReadBatch(10));
        queue.Append(Records.Numbered(4));
        Assert.Equal([4], Records.Numbers(queue.ReadBatch(10)));
    }

    [Fact]
    public void ReadBatch_MaxRecords_ReturnsAtMostThatManyAndContinuesWhereItStopped()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 10);

        Assert.Equal(Records.Range(1, 4), Records.Numbers(queue.ReadBatch(4)));
        Assert.Equal(Records.Range(5, 4), Records.Numbers(queue.ReadBatch(4)));
        Assert.Equal(Records.Range(9, 2), Records.Numbers(queue.ReadBatch(4)));
    }

    [Fact]
    public void CountUnreadBytes_ThroughAppendReadCommit_TrackEachStep()
    {
        var queue = _dir.Open();
        queue.Append([1]);
        queue.Append(new byte[50]);
        queue.Append(new byte[1000]);
        Assert.Equal((3, 3, 3 * 8 + 1 + 50 + 1000), (queue.Count, queue.Unread, queue.Bytes));

        var batch = queue.ReadBatch(2);
        Assert.Equal((3, 1), (queue.Count, queue.Unread));

        queue.Commit(batch[0].Position);
        Assert.Equal((2, 1), (queue.Count, queue.Unread));

        queue.Commit(batch[1].Position);
        Assert.Equal((1, 1), (queue.Count, queue.Unread));

        queue.Commit(queue.ReadBatch(5).Single().Position);
        Assert.Equal((0, 0), (queue.Count, queue.Unread));
        Assert.Equal(3 * 8 + 1 + 50 + 1000, queue.Bytes); // the active segment stays on disk
    }

    [Fact]
    public void ReadBatch_AcrossSegmentBoundaries_ReturnsEveryRecordInOrder()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 500);
        Assert.True(_dir.SegmentFiles().Length >= 10, "the records span many segments");

        var read = new List<int>();
        for (var batch = queue.ReadBatch(7); batch.Count > 0; batch = queue.ReadBatch(7))
        {
            read.AddRange(Records.Numbers(batch));
            queue.Commit(batch[^1].Position);
        }

        Assert.Equal(Records.Range(1, 500), read);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Append_SegmentFull_RollsToNextSegmentFileNamedById()
    {
        var queue = _dir.Open();
        var perSegment = Records.PerSegment(SpoolDirectory.SmallSegment);

        Records.AppendNumbered(queue, 1, perSegment);
        Assert.Equal(["000000000001.seg"], _dir.SegmentFiles().Select(Path.GetFileName));
        Assert.Equal(perSegment * RecordBytes, new FileInfo(_dir.LastSegment()).Length);

        queue.Append(Records.Numbered(perSegment + 1));
        Assert.Equal(["000000000001.seg", "000000000002.seg"], _dir.SegmentFiles().Select(Path.GetFileName));
        Assert.Equal(RecordBytes, new FileInfo(_dir.LastSegment()).Length);
    }

    [Fact]
    public void Append_RecordLargerThanSegment_GoesInItsOwnSegmentAndReadsBack()
    {
        var queue = _dir.Open();
        var big = Records.Numbered(2, 3 * SpoolDirectory.SmallSegment);
        queue.Append(Records.Numbered(1));
        queue.Append(big);
        queue.Append(Records.Numbered(3));

        Assert.Equal([1, 2, 3], Records.Numbers(queue.ReadBatch(10)));
        Assert.Equal(3, _dir.SegmentFiles().Length);
    }

    [Fact]
    public void Append_WrittenRecord_HasLittleEndianLengthAndCrcHeader()
    {
        var queue = _dir.Open();
        queue.Append("123456789"u8);
        queue.Flush();

        // 00-03 length 9, 04-07 CRC-32 of "123456789" = 0xCBF43926 (the standard check value), 08-16 payload.
        byte[] expected = [0x09, 0x00, 0x00, 0x00, 0x26, 0x39, 0xF4, 0xCB, .. "123456789"u8];
        using var file = new FileStream(_dir.LastSegment(), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var actual = new byte[file.Length];
        file.ReadExactly(actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Crc32_CheckValue_MatchesIeee() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));

    [Fact]
    public void Commit_OlderPosition_IsIgnored()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 5);
        var batch = queue.ReadBatch(5);
        queue.Commit(batch[3].Position);

        queue.Commit(batch[1].Position);
        queue.Rewind();

        Assert.Equal(1, queue.Count);
        Assert.Equal([5], Records.Numbers(queue.ReadBatch(10)));
    }

    [Fact]
    public void Commit_PositionAheadOfReadAfterRewind_ContinuesAfterCommittedRecord()
    {
        var queue = _dir.Open();
        Records.AppendNumbered(queue, 1, 6);
        var batch = queue.ReadBatch(6);
        queue.Rewind();
        Assert.Equal([1], Records.Numbers(queue.ReadBatch(1)));

        queue.Commit(batch[3].Position);

        Assert.Equal((2, 2), (queue.Count, queue.Unread));
        Assert.Equal([5, 6], Records.Numbers(queue.ReadBatch(10)));
    }

    [Fact]
    public async Task WaitForDataAsync_AppendFromAnotherThread_Completes()
    {
        var queue = _dir.Open();
        var wait = queue.WaitForDataAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);

        await Task.Run(() => queue.Append(Records.Numbered(1)));

        await wait.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([1], Records.Numbers(queue.ReadBatch(1)));
    }

    [Fact]
    public async Task WaitForDataAsync_UnreadRecords_CompletesAtOnce()
    {
        var queue = _dir.Open();
        queue.Append(Records.Numbered(1));

        await queue.WaitForDataAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task WaitForDataAsync_AllReadButNotCommitted_KeepsWaiting()
    {
        var queue = _dir.Open();
        queue.Append(Records.Numbered(1));
        queue.ReadBatch(1);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.WaitForDataAsync(cts.Token));
    }

    [Fact]
    public async Task WaitForDataAsync_Cancelled_ThrowsOperationCanceled()
    {
        var queue = _dir.Open();
        using var cts = new CancellationTokenSource();
        var wait = queue.WaitForDataAsync(cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Append_EmptyRecord_ThrowsArgumentException()
    {
        var queue = _dir.Open();

        Assert.Throws<ArgumentException>(() => queue.Append([]));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Append_LargerThanMaxRecordBytes_ThrowsArgumentException()
    {
        var queue = _dir.Open();

        Assert.Throws<ArgumentException>(() => queue.Append(new byte[DurableQueueOptions.MaxRecordBytes + 1]));
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.Bytes);
    }

    [Fact]
    public void Append_ExactlyMaxRecordBytes_ReadsBack()
    {
        var queue = _dir.Open(maxBytes: 64L * 1024 * 1024);
        var record = Records.Numbered(7, DurableQueueOptions.MaxRecordBytes);

        queue.Append(record);

        Assert.Equal(record, queue.ReadBatch(1).Single().Payload);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ReadBatch_NonPositiveMax_ThrowsArgumentOutOfRange(int max)
    {
        var queue = _dir.Open();

        Assert.Throws<ArgumentOutOfRangeException>(() => queue.ReadBatch(max));
    }

    [Fact]
    public void Append_AfterDispose_ThrowsObjectDisposed()
    {
        var queue = _dir.Open();
        queue.Dispose();

        Assert.Throws<ObjectDisposedException>(() => queue.Append([1]));
        Assert.Throws<ObjectDisposedException>(() => queue.ReadBatch(1));
        queue.Flush(); // harmless after dispose
        queue.Dispose(); // idempotent
    }

    [Fact]
    public void Append_FsyncEveryAppend_ReadsBackAndSurvivesReopen()
    {
        var options = _dir.Options();
        options.FsyncEveryAppend = true;
        var queue = _dir.Open(options);
        Records.AppendNumbered(queue, 1, 3);
        Assert.Equal([1, 2, 3], Records.Numbers(queue.ReadBatch(10)));

        var crashed = _dir.Snapshot().Open();

        Assert.Equal([1, 2, 3], Records.Numbers(crashed.ReadBatch(10)));
    }
}
