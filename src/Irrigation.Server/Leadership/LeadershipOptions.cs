using Irrigation.Server.Configuration;

namespace Irrigation.Server.Leadership;

/// <summary>The lease that makes one server instance at a time do the work that must happen once (docs/scale-out.md).</summary>
public sealed class LeadershipOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Leadership";

    /// <summary>
    /// How long the lease lasts without renewal: after the holder dies, another instance takes the work over within this
    /// time. It is renewed every third of it.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    public void Validate()
    {
        if (LeaseDuration < TimeSpan.FromSeconds(3) || LeaseDuration > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"Irrigation:Leadership:LeaseDuration must be 3 s..10 min, was {LeaseDuration}.");
    }
}
