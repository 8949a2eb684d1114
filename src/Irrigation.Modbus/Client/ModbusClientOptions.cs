namespace Irrigation.Modbus.Client;

/// <summary>Timing of one Modbus link. Defaults suit a 4G DTU: round trips of ~600 ms are normal there.</summary>
public sealed class ModbusClientOptions
{
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DefaultReconnectDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxReconnectDelay = TimeSpan.FromSeconds(60);
    public const int DefaultRetries = 1;

    /// <summary>How long to wait for a response to one attempt.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>Further attempts after a timeout or a dropped connection (never after an exception response).</summary>
    public int Retries { get; set; } = DefaultRetries;

    /// <summary>Back-off after the second consecutive connect failure; doubles per failure, with jitter.</summary>
    public TimeSpan ReconnectDelay { get; set; } = DefaultReconnectDelay;

    public TimeSpan MaxReconnectDelay { get; set; } = DefaultMaxReconnectDelay;

    /// <summary>Throws with the name of the first invalid setting.</summary>
    public void Validate()
    {
        if (RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(RequestTimeout)} must be positive, was {RequestTimeout}.");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(ConnectTimeout)} must be positive, was {ConnectTimeout}.");
        if (Retries is < 0 or > 10)
            throw new ArgumentException($"{nameof(Retries)} must be 0..10, was {Retries}.");
        if (ReconnectDelay < TimeSpan.Zero || MaxReconnectDelay < ReconnectDelay)
            throw new ArgumentException($"{nameof(ReconnectDelay)} must be >= 0 and <= {nameof(MaxReconnectDelay)}.");
    }
}
