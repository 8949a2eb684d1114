using System.Buffers.Binary;
using System.Text;
using Irrigation.Spool;

namespace Irrigation.Gateway.Publishing;

/// <summary>One message waiting in the outbox.</summary>
public sealed record OutboxMessage(string Topic, ReadOnlyMemory<byte> Payload, bool Retain, QueuePosition Position);

/// <summary>
/// Store-and-forward: every telemetry message and command result is appended to a durable on-disk queue before
/// it is published, and committed only when the broker has acknowledged it. A broker outage, a gateway restart
/// or a kill -9 therefore loses nothing that fits in the disk budget; replay is in order.
/// Envelope: <c>[u16 topic length][topic UTF-8][u8 flags: bit0 retain][payload]</c>.
/// </summary>
public sealed class Outbox : IDisposable
{
    private readonly DurableQueue _queue;

    public Outbox(DurableQueue queue) => _queue = queue;

    public DurableQueue Queue => _queue;

    public long Pending => _queue.Count;

    public long Dropped => _queue.DroppedRecords;

    public void Enqueue(string topic, ReadOnlySpan<byte> payload, bool retain = false)
    {
        var topicBytes = Encoding.UTF8.GetByteCount(topic);
        if (topicBytes > ushort.MaxValue)
            throw new ArgumentException("Topic too long.", nameof(topic));
        var record = new byte[2 + topicBytes + 1 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)topicBytes);
        Encoding.UTF8.GetBytes(topic, record.AsSpan(2));
        record[2 + topicBytes] = retain ? (byte)1 : (byte)0;
        payload.CopyTo(record.AsSpan(3 + topicBytes));
        _queue.Append(record);
    }

    public IReadOnlyList<OutboxMessage> ReadBatch(int max)
    {
        var records = _queue.ReadBatch(max);
        var messages = new List<OutboxMessage>(records.Count);
        foreach (var record in records)
        {
            if (TryDecode(record.Payload, out var topic, out var payload, out var retain))
                messages.Add(new OutboxMessage(topic, payload, retain, record.Position));
            else
                messages.Add(new OutboxMessage("", ReadOnlyMemory<byte>.Empty, false, record.Position)); // undecodable: skipped by the forwarder, still committed
        }

        return messages;
    }

    /// <summary>Payloads of every message still on disk, for recovering sequence numbers at start-up.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> ScanPayloads()
    {
        foreach (var record in _queue.ScanRetained())
        {
            if (TryDecode(record, out _, out var payload, out _))
                yield return payload;
        }
    }

    public void Commit(QueuePosition position) => _queue.Commit(position);

    public void Rewind() => _queue.Rewind();

    public Task WaitForDataAsync(CancellationToken cancellationToken) => _queue.WaitForDataAsync(cancellationToken);

    public void Dispose() => _queue.Dispose();

    private static bool TryDecode(byte[] record, out string topic, out ReadOnlyMemory<byte> payload, out bool retain)
    {
        topic = "";
        payload = ReadOnlyMemory<byte>.Empty;
        retain = false;
        if (record.Length < 3)
            return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(record);
        if (record.Length < 3 + length)
            return false;
        topic = Encoding.UTF8.GetString(record, 2, length);
        retain = (record[2 + length] & 1) != 0;
        payload = record.AsMemory(3 + length);
        return true;
    }
}
