using Irrigation.Server.State;

namespace Irrigation.Server.Ingestion;

/// <summary>One telemetry message made durable (in InfluxDB or the spool): its station, sequence stream and number.</summary>
public readonly record struct StoredSequence(StationEntry Station, string Epoch, long Sequence, long TimestampMs);

/// <summary>
/// Told, once per batch and only after the batch is durable, which sequence numbers were stored — so completeness
/// tracking never counts a message the server could still lose. Ingestion does not know who listens.
/// </summary>
public interface IStoredSequenceListener
{
    void Stored(IReadOnlyList<StoredSequence> sequences);
}

/// <summary>The listener when no feature tracks completeness.</summary>
internal sealed class NoStoredSequenceListener : IStoredSequenceListener
{
    public void Stored(IReadOnlyList<StoredSequence> sequences)
    {
    }
}
