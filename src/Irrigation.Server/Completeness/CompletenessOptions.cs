using Irrigation.Server.Configuration;

namespace Irrigation.Server.Completeness;

/// <summary>Gap detection and repair (docs/mqtt.md "Gap repair"): <c>Irrigation:Completeness</c>.</summary>
public sealed class CompletenessOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Completeness";

    /// <summary>False: sequence numbers are not tracked and nothing is asked of the gateways.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A gap is asked for only once it has been open this long (messages may still be on their way).</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A gap still open this long after a request is asked for again (the gateway may have been offline).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often gaps are checked and the tracking state saved.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Sequence numbers asked for in one request; larger gaps are asked for in turns.</summary>
    public int MaxMessagesPerRequest { get; set; } = 20_000;

    /// <summary>Separate gaps tracked per station; beyond it the oldest is recorded as lost (bounded memory).</summary>
    public int MaxOpenRanges { get; set; } = 1000;

    public void Validate()
    {
        if (GracePeriod < TimeSpan.Zero || GracePeriod > TimeSpan.FromHours(1))
            throw new ArgumentException($"{Section}:GracePeriod must be 0..01:00:00, was {GracePeriod}.");
        if (RetryInterval < TimeSpan.FromSeconds(1) || RetryInterval > TimeSpan.FromDays(1))
            throw new ArgumentException($"{Section}:RetryInterval must be 00:00:01..1.00:00:00, was {RetryInterval}.");
        if (CheckInterval < TimeSpan.FromMilliseconds(100) || CheckInterval > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"{Section}:CheckInterval must be 00:00:00.1..00:10:00, was {CheckInterval}.");
        if (MaxMessagesPerRequest is < 1 or > 1_000_000)
            throw new ArgumentException($"{Section}:MaxMessagesPerRequest must be 1..1000000, was {MaxMessagesPerRequest}.");
        if (MaxOpenRanges is < 1 or > 100_000)
            throw new ArgumentException($"{Section}:MaxOpenRanges must be 1..100000, was {MaxOpenRanges}.");
    }
}
