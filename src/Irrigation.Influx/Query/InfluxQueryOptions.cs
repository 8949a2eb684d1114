namespace Irrigation.Influx.Query;

/// <summary>Where and how to query with InfluxQL (InfluxDB 1.x <c>/query</c>, also served by 2.x/3.x and VictoriaMetrics in part).</summary>
public sealed class InfluxQueryOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Base URL of the server, e.g. <c>http://127.0.0.1:8086/</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>Database used when a call does not name one.</summary>
    public string? Database { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Send the credentials as <c>u</c>/<c>p</c> parameters instead of basic auth.</summary>
    public bool CredentialsInQuery { get; set; }

    /// <summary>Sent as <c>Authorization: Token ...</c>.</summary>
    public string? Token { get; set; }

    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    public void Validate()
    {
        if (Url is null || !Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"{nameof(Url)} must be an absolute http(s) URL, was '{Url}'.");
        if (Token is not null && Username is not null)
            throw new ArgumentException($"Give either {nameof(Token)} or {nameof(Username)}/{nameof(Password)}, not both.");
        if (Password is not null && Username is null)
            throw new ArgumentException($"{nameof(Password)} without {nameof(Username)}.");
        if (Timeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(Timeout)} must be positive, was {Timeout}.");
    }
}
