using Irrigation.Server.Configuration;

namespace Irrigation.Server.Commands;

public sealed class CommandOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Commands";

    /// <summary>How long a pump command may wait before it is acted on; the gateway refuses it after that (expired).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After expiry, how long to wait for the gateway's result before the command is timed out.</summary>
    public TimeSpan ResultGrace { get; set; } = TimeSpan.FromSeconds(15);

    public void Validate()
    {
        if (Lifetime < TimeSpan.FromSeconds(2) || Lifetime > TimeSpan.FromMinutes(10))
            throw new ArgumentException("Irrigation:Commands:Lifetime must be 2 s..10 min.");
        if (ResultGrace < TimeSpan.FromSeconds(1) || ResultGrace > TimeSpan.FromMinutes(10))
            throw new ArgumentException("Irrigation:Commands:ResultGrace must be 1 s..10 min.");
    }
}
