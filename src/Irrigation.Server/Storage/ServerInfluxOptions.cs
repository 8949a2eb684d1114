using Irrigation.Server.Configuration;

namespace Irrigation.Server.Storage;

public sealed class ServerInfluxOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Influx";

    public string Url { get; set; } = "http://127.0.0.1:8086";

    public string Database { get; set; } = "irrigation";

    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? Token { get; set; }

    public bool Gzip { get; set; } = true;

    /// <summary>Raw data retention (the database's default policy "raw").</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Create the database, retention policies and continuous queries at start-up when missing.</summary>
    public bool CreateSchema { get; set; } = true;

    public void Validate()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out _))
            throw new ArgumentException($"Irrigation:Influx:Url '{Url}' is not an absolute URL.");
        if (string.IsNullOrWhiteSpace(Database))
            throw new ArgumentException("Irrigation:Influx:Database is required.");
        if (RawRetention < TimeSpan.FromHours(1))
            throw new ArgumentException("Irrigation:Influx:RawRetention must be at least 1 h.");
    }
}
