using Irrigation.Server.Configuration;

namespace Irrigation.Server.State;

/// <summary>How stations are judged live: staleness of telemetry (section Irrigation:Api, its historical name).</summary>
public sealed class ApiOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Api";

    /// <summary>A station with no telemetry for this long is shown stale and counts as not online (snapshots come every minute).</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How often each station's online/stale state is sampled into InfluxDB (station_status) for the online rate.</summary>
    public TimeSpan AvailabilityInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often this instance checks whether station settings changed in the database (a save through another instance on
    /// a shared database): one small query each time; the settings are read again only when they changed.
    /// </summary>
    public TimeSpan SettingsRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    public void Validate()
    {
        if (StaleAfter < TimeSpan.FromSeconds(5))
            throw new ArgumentException("Irrigation:Api:StaleAfter must be at least 5 s.");
        if (AvailabilityInterval < TimeSpan.FromSeconds(1) || AvailabilityInterval > TimeSpan.FromHours(1))
            throw new ArgumentException("Irrigation:Api:AvailabilityInterval must be 1 s..1 h.");
        if (SettingsRefreshInterval < TimeSpan.FromMilliseconds(200) || SettingsRefreshInterval > TimeSpan.FromMinutes(10))
            throw new ArgumentException("Irrigation:Api:SettingsRefreshInterval must be 200 ms..10 min.");
    }
}
