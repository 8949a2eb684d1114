using System.Text.RegularExpressions;

namespace Irrigation.Server.Storage;

/// <summary>
/// One time-series replica (<c>Irrigation:Influx:Replicas:N</c>): an InfluxDB 1.x that receives every batch and gets
/// the schema, backfills and queries in InfluxQL (so not VictoriaMetrics, which serves no InfluxQL). Database and
/// credentials left empty are taken from <c>Irrigation:Influx</c>.
/// </summary>
public sealed partial class InfluxReplicaOptions
{
    /// <summary>Names the replica in metrics, logs, /health/ready and its spool directory: lower-case letters, digits, '-' and '_'.</summary>
    public string Name { get; set; } = "";

    public string Url { get; set; } = "";

    public string? Database { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? Token { get; set; }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex NamePattern();

    /// <summary>Throws naming the first invalid field, as <c>{prefix}:Field</c>.</summary>
    internal void Validate(string prefix)
    {
        if (!NamePattern().IsMatch(Name))
            throw new ArgumentException($"{prefix}:Name '{Name}' must be 1..32 of a-z, 0-9, '-' and '_', starting with a letter or digit.");
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"{prefix}:Url '{Url}' is not an absolute http(s) URL.");
        if (Database is not null && string.IsNullOrWhiteSpace(Database))
            throw new ArgumentException($"{prefix}:Database is blank; leave it out to use Irrigation:Influx:Database.");
        if (Token is not null && Username is not null)
            throw new ArgumentException($"{prefix}: give either Token or Username/Password, not both.");
        if (Password is not null && Username is null)
            throw new ArgumentException($"{prefix}:Password is set without {prefix}:Username.");
    }
}
