using Irrigation.Sl651.Messages;

namespace Irrigation.Sl651.Client;

/// <summary>The station side of one link to a centre (platform). Defaults follow §6.3.2 and §6.6.4.2.</summary>
public sealed class Sl651StationClientOptions
{
    /// <summary>Cellular round trip plus the platform's processing; the standard leaves the value to the channel (§6.3.2.2).</summary>
    public static readonly TimeSpan DefaultAckTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>"应重发 2 次": two resends, then the link is given up until next time (§6.3.2.3).</summary>
    public const int DefaultResends = 2;

    public required Sl651Header Header { get; init; }

    public TimeSpan AckTimeout { get; init; } = DefaultAckTimeout;

    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    public int Resends { get; init; } = DefaultResends;

    public void Validate()
    {
        if (AckTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(AckTimeout)} must be positive, was {AckTimeout}.");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(ConnectTimeout)} must be positive, was {ConnectTimeout}.");
        if (Resends is < 0 or > 10)
            throw new ArgumentException($"{nameof(Resends)} must be 0..10, was {Resends}.");
    }
}

/// <summary>Answers a centre's query or command (an ENQ frame); returns the up message to send, or null for none.</summary>
public interface ISl651CommandHandler
{
    Task<Sl651Message?> HandleAsync(Sl651Message request, CancellationToken cancellationToken);
}

/// <summary>The platform did not acknowledge a message after all resends, or the link could not be opened.</summary>
public sealed class Sl651DeliveryException(string message, Exception? inner = null) : IOException(message, inner);
