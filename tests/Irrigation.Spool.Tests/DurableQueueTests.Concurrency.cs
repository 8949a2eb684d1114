using System.Buffers.Binary;
using Irrigation.Spool.Tests.TestSupport;

namespace Irrigation.Spool.Tests;

/// <summary>Several appenders and one reader at once: every record is delivered exactly once, each appender's order kept.</summary>
public sealed partial class DurableQueueTests
{
    [Fact]
    public async Task AppendAndReadCommit_FourWritersOneReader_EveryRecordExactlyOnceInPerWriterOrder()
    {
        const int Writers = 4;
        const int PerWriter = 5000;
        var queue = _dir.Open(segmentBytes: 64 * 1024);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var start = new Barrier(Writers + 1);

        var writers = Enumerable.Range(0, Writers).Select(writer => Task.Run(() =>
        {
            start.SignalAndWait(timeout.Token);
            for (var seq = 0; seq < PerWriter; seq++)
            {
                var record = new byte[8 + (seq % 40)];
                BinaryPrimitives.WriteInt32BigEndian(record, writer);
                BinaryPrimitives.WriteInt32BigEndian(record.AsSpan(4), seq);
                queue.Append(record);
            }
        })).ToList();

        var reader = Task.Run(async () =>
        {
            var next = new int[Writers];
            var received = 0;
            start.SignalAndWait(timeout.Token);
            while (received < Writers * PerWriter)
            {
                await queue.WaitForDataAsync(timeout.Token);
                var batch = queue.ReadBatch(100);
                foreach (var record in batch)
                {
                    var writer = BinaryPrimitives.ReadInt32BigEndian(record.Payload);
                    var seq = BinaryPrimitives.ReadInt32BigEndian(record.Payload.AsSpan(4));
                    Assert.Equal(8 + (seq % 40), record.Payload.Length);
                    Assert.Equal(next[writer], seq); // neither a duplicate nor a gap nor out of order
                    next[writer]++;
                }

                received += batch.Count;
                if (batch.Count > 0)
                    queue.Commit(batch[^1].Position);
            }

            return next;
        });

        await Task.WhenAll(writers);
        var counts = await reader;

        Assert.All(counts, c => Assert.Equal(PerWriter, c));
        Assert.Empty(queue.ReadBatch(100));
        Assert.Equal((0, 0, 0), (queue.Count, queue.Unread, queue.DroppedRecords));
        Assert.Single(_dir.SegmentFiles());
    }
}
