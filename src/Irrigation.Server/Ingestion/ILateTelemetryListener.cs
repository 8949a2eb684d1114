namespace Irrigation.Server.Ingestion;

/// <summary>
/// Told when telemetry older than "recent" reaches InfluxDB (a gateway's replay after days offline, a replayed spool),
/// so figures computed from stored data (the daily accounts) can be redone. Ingestion does not know who listens;
/// without a listener nothing is late.
/// </summary>
public interface ILateTelemetryListener
{
    /// <summary>Called for every stored message: must be one comparison, no allocation.</summary>
    bool IsLate(long timestampMs);

    /// <summary>Late data of <paramref name="station"/> at <paramref name="timestampMs"/> is now in InfluxDB.</summary>
    void Stored(string station, long timestampMs);

    /// <summary>Spooled data of unknown age and stations reached InfluxDB.</summary>
    void StoredFromSpool();
}

/// <summary>The listener when no feature asks for late telemetry.</summary>
internal sealed class NoLateTelemetryListener : ILateTelemetryListener
{
    public bool IsLate(long timestampMs) => false;

    public void Stored(string station, long timestampMs)
    {
    }

    public void StoredFromSpool()
    {
    }
}
