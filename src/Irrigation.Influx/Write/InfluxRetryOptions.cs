namespace Irrigation.Influx.Write;

/// <summary>How an <see cref="InfluxRetryPolicy"/> spaces and bounds retries of one write.</summary>
public sealed class InfluxRetryOptions
{
    public const int DefaultMaxAttempts = 5;
    public const double DefaultMultiplier = 2;
    public const double DefaultJitter = 0.2;
    public static readonly TimeSpan DefaultFirstDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultMaxElapsed = TimeSpan.FromMinutes(2);

    /// <summary>Attempts in all, the first one included; 1 disables retries.</summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>Back-off before the first retry; each further retry multiplies it by <see cref="Multiplier"/>.</summary>
    public TimeSpan FirstDelay { get; set; } = DefaultFirstDelay;

    public double Multiplier { get; set; } = DefaultMultiplier;

    /// <summary>Cap of the back-off (not of a server's Retry-After, which is honoured as given).</summary>
    public TimeSpan MaxDelay { get; set; } = DefaultMaxDelay;

    /// <summary>Back-off is scaled by a random factor in [1 - Jitter, 1 + Jitter], then capped.</summary>
    public double Jitter { get; set; } = DefaultJitter;

    /// <summary>No retry is started that would end later than this after the first attempt began.</summary>
    public TimeSpan MaxElapsed { get; set; } = DefaultMaxElapsed;

    public void Validate()
    {
        if (MaxAttempts is < 1 or > 100)
            throw new ArgumentException($"{nameof(MaxAttempts)} must be 1..100, was {MaxAttempts}.");
        if (FirstDelay < TimeSpan.Zero || MaxDelay < FirstDelay)
            throw new ArgumentException($"{nameof(FirstDelay)} must be >= 0 and <= {nameof(MaxDelay)} ({FirstDelay} / {MaxDelay}).");
        if (Multiplier is < 1 or > 10 || double.IsNaN(Multiplier))
            throw new ArgumentException($"{nameof(Multiplier)} must be 1..10, was {Multiplier}.");
        if (Jitter is < 0 or >= 1 || double.IsNaN(Jitter))
            throw new ArgumentException($"{nameof(Jitter)} must be in [0, 1), was {Jitter}.");
        if (MaxElapsed <= TimeSpan.Zero)
            throw new ArgumentException($"{nameof(MaxElapsed)} must be positive, was {MaxElapsed}.");
    }
}
