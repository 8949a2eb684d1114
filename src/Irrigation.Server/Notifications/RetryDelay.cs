namespace Irrigation.Server.Notifications;

/// <summary>Back-off between attempts at one notification: first, doubled each time, capped, with ±20 % jitter so retries of many alarms spread out.</summary>
public static class RetryDelay
{
    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based); <paramref name="random"/> in [0, 1) picks the jitter.</summary>
    public static TimeSpan After(int attempt, TimeSpan first, TimeSpan cap, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var plain = Math.Min(cap.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, exponent));
        var jittered = plain * (0.8 + (0.4 * Math.Clamp(random, 0, 1)));
        return TimeSpan.FromMilliseconds(Math.Min(cap.TotalMilliseconds, jittered));
    }
}
