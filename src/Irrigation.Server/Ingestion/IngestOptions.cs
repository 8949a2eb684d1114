using Irrigation.Server.Configuration;

namespace Irrigation.Server.Ingestion;

public sealed class IngestOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Ingest";

    /// <summary>Points per InfluxDB write.</summary>
    public int BatchPoints { get; set; } = 5000;

    /// <summary>A partial batch is written after this long.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long one write may take before the batch goes to the spool instead.</summary>
    public TimeSpan WriteAttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public long SpoolMaxBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// A batch is also handed on once its line protocol reaches this size, so that one batch always fits the spool
    /// (a quarter of it) and a spool record (16 MiB at most) whatever BatchPoints says; one message adds at most
    /// about twice its 64 KiB payload.
    /// </summary>
    internal long MaxBatchBytes => Math.Min(8L * 1024 * 1024, SpoolMaxBytes / 4);

    /// <summary>Spool segment size: an eighth of the budget, 64 KiB..16 MiB.</summary>
    internal int SpoolSegmentBytes => (int)Math.Clamp(SpoolMaxBytes / 8, 64 * 1024, 16 * 1024 * 1024);

    public void Validate()
    {
        if (BatchPoints is < 1 or > 100_000)
            throw new ArgumentException($"Irrigation:Ingest:BatchPoints must be 1..100000, was {BatchPoints}.");
        if (FlushInterval < TimeSpan.FromMilliseconds(10) || FlushInterval > TimeSpan.FromMinutes(1))
            throw new ArgumentException("Irrigation:Ingest:FlushInterval must be 10 ms..1 min.");
        if (SpoolMaxBytes < 1024 * 1024)
            throw new ArgumentException("Irrigation:Ingest:SpoolMaxBytes must be at least 1 MiB.");
        if (WriteAttemptTimeout <= TimeSpan.Zero)
            throw new ArgumentException("Irrigation:Ingest:WriteAttemptTimeout must be positive.");
    }
}
