using System.Buffers.Binary;

namespace Irrigation.Spool.Tests.TestSupport;

/// <summary>Numbered test records: a big-endian sequence number, padded to a chosen size with a recognisable pattern.</summary>
internal static class Records
{
    public const int HeaderBytes = 8;

    public static byte[] Numbered(int number, int size = 100)
    {
        var record = new byte[Math.Max(size, 4)];
        BinaryPrimitives.WriteInt32BigEndian(record, number);
        for (var i = 4; i < record.Length; i++)
            record[i] = (byte)(number + i);
        return record;
    }

    public static int NumberOf(byte[] record)
    {
        var number = BinaryPrimitives.ReadInt32BigEndian(record);
        Assert.Equal(Numbered(number, record.Length), record);
        return number;
    }

    public static int[] Numbers(IEnumerable<QueueRecord> records) => [.. records.Select(r => NumberOf(r.Payload))];

    public static void AppendNumbered(DurableQueue queue, int from, int count, int size = 100)
    {
        for (var i = from; i < from + count; i++)
            queue.Append(Numbered(i, size));
    }

    /// <summary>Reads everything unread, in batches of <paramref name="batch"/>.</summary>
    public static List<QueueRecord> ReadAll(DurableQueue queue, int batch = 64)
    {
        var all = new List<QueueRecord>();
        while (true)
        {
            var records = queue.ReadBatch(batch);
            if (records.Count == 0)
                return all;
            Assert.True(records.Count <= batch);
            all.AddRange(records);
        }
    }

    public static int[] Range(int from, int count) => [.. Enumerable.Range(from, count)];

    /// <summary>Records of <paramref name="size"/> payload bytes that fit in one segment.</summary>
    public static int PerSegment(int segmentBytes, int size = 100) => segmentBytes / (HeaderBytes + size);
}
