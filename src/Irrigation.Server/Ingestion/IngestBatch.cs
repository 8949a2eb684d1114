using System.Buffers;
using Irrigation.Influx.LineProtocol;
using Irrigation.Mqtt.Client;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// Line protocol for up to BatchPoints points plus the MQTT messages it came from, acknowledged only once the
/// batch is durable. Batches are pooled and reused: steady-state ingestion allocates no buffers.
/// </summary>
internal sealed class IngestBatch
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public IngestBatch(int capacityBytes)
    {
        _buffer = new ArrayBufferWriter<byte>(capacityBytes);
        Writer = new LineProtocolWriter(_buffer);
    }

    /// <summary>One writer for the batch's life: a point reaches the buffer only when it ends, so the writer outlives each reset (a new one each batch rented three buffers and never gave them back).</summary>
    public LineProtocolWriter Writer { get; }

    public List<MqttReceivedMessage> Messages { get; } = new(4096);

    public int Points { get; set; }

    public int Fields { get; set; }

    public long StartedTicks { get; set; }

    /// <summary>Telemetry messages received and stored into this batch, added to the metrics once per batch (not per message).</summary>
    public int Received { get; set; }

    public int Stored { get; set; }

    /// <summary>Messages for days the accounting has already passed (rare: a replay after days offline).</summary>
    public List<(string Station, long TimestampMs)> Late { get; } = [];

    /// <summary>The sequence numbers of the batch's messages that carry an epoch, told to the completeness tracking once durable.</summary>
    public List<StoredSequence> Sequences { get; } = new(4096);

    public ReadOnlyMemory<byte> Lines => _buffer.WrittenMemory;

    public void Reset()
    {
        _buffer.ResetWrittenCount();
        Writer.Abandon();
        Messages.Clear();
        Points = 0;
        Fields = 0;
        StartedTicks = 0;
        Received = 0;
        Stored = 0;
        Late.Clear();
        Sequences.Clear();
    }
}
