namespace Irrigation.Influx.Write;

/// <summary>Which write endpoint to use.</summary>
public enum InfluxWriteApi
{
    /// <summary><c>/write?db=&amp;rp=&amp;precision=ms</c>: InfluxDB 1.x, VictoriaMetrics (which adds a <c>db</c> label).</summary>
    V1,

    /// <summary><c>/api/v2/write?org=&amp;bucket=&amp;precision=ms</c>: InfluxDB 1.8+/2.x/3.x, VictoriaMetrics. Not influxd 1.6 (404).</summary>
    V2,
}

/// <summary>Where and how to write line protocol. Defaults are named constants; <see cref="Validate"/> at start-up.</summary>
public sealed class InfluxWriteOptions
{
    public const int DefaultBatchSize = 5000;
    public const int DefaultQueueCapacity = 20_000;
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Base URL of the server, e.g. <c>http://127.0.0.1:8086/</c> (a path prefix such as <c>/influx/</c> is kept).</summary>
    public Uri? Url { get; set; }

    public InfluxWriteApi Api { get; set; } = InfluxWriteApi.V1;

    /// <summary>V1: the database (must exist on influxd: <c>CREATE DATABASE</c> first, or writes answer 404).</summary>
    public string? Database { get; set; }

    /// <summary>V1: retention policy; empty for the database's default.</summary>
    public string? RetentionPolicy { get; set; }

    /// <summary>V2: organisation (InfluxDB 2.x requires it; VictoriaMetrics ignores it).</summary>
    public string? Org { get; set; }

    /// <summary>V2: bucket.</summary>
    public string? Bucket { get; set; }

    /// <summary>InfluxDB 1.x user; sent as HTTP basic auth, or as <c>u</c>/<c>p</c> with <see cref="CredentialsInQuery"/>.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>V1 only: send the credentials as <c>u</c>/<c>p</c> query parameters instead of basic auth.</summary>
    public bool CredentialsInQuery { get; set; }

    /// <summary>API token, sent as <c>Authorization: Token ...</c> (accepted by 2.x and 3.x on both APIs).</summary>
    public string? Token { get; set; }

    /// <summary>Compress request bodies (<c>Content-Encoding: gzip</c>); influxd's max-body-size then applies to the compressed size.</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary><see cref="InfluxBatchWriter"/>: points per request.</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary><see cref="InfluxBatchWriter"/>: a partial batch is sent once its oldest point has waited this long.</summary>
    public TimeSpan FlushInterval { get; set; } = DefaultFlushInterval;

    /// <summary><see cref="InfluxBatchWriter"/>: points queued before <c>WriteAsync</c> waits for room (back-pressure).</summary>
    public int QueueCapacity { get; set; } = DefaultQueueCapacity;

    /// <summary><see cref="InfluxBatchWriter"/>: write unsigned fields with the <c>u</c> suffix (see <see cref="LineProtocol.LineProtocolWriter"/>).</summary>
    public bool UnsignedSuffix { get; set; }

    public InfluxRetryOptions Retry { get; set; } = new();

    /// <summary>Throws with the name of the first invalid setting.</summary>
    public void Validate()
    {
        if (Url is null || !Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"{nameof(Url)} must be an absolute http(s) URL, was '{Url}'.");
        if (Api == InfluxWriteApi.V1 && string.IsNullOrWhiteSpace(Database))
            throw new ArgumentException($"{nameof(Database)} is required for the V1 write API.");
        if (Api == InfluxWriteApi.V2 && string.IsNullOrWhiteSpace(Bucket))
            throw new ArgumentException($"{nameof(Bucket)} is required for the V2 write API.");
        if (!Enum.IsDefined(Api))
            throw new ArgumentException($"{nameof(Api)} {Api} is not defined.");
        if (Token is not null && Username is not null)
            throw new ArgumentException($"Give either {nameof(Token)} or {nameof(Username)}/{nameof(Password)}, not both.");
        if (Password is not null && Username is null)
            throw new ArgumentException($"{nameof(Password)} without {nameof(Username)}.");
        if (CredentialsInQuery && Api != InfluxWriteApi.V1)
            throw new ArgumentException($"{nameof(CredentialsInQuery)} only applies to the V1 API.");
        if (Timeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(Timeout)} must be positive, was {Timeout}.");
        if (BatchSize is < 1 or > 1_000_000)
            throw new ArgumentException($"{nameof(BatchSize)} must be 1..1000000, was {BatchSize}.");
        if (FlushInterval <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(FlushInterval)} must be positive, was {FlushInterval}.");
        if (QueueCapacity < BatchSize)
            throw new ArgumentException($"{nameof(QueueCapacity)} ({QueueCapacity}) must hold at least one batch ({BatchSize}).");
        ArgumentNullException.ThrowIfNull(Retry);
        Retry.Validate();
    }
}
