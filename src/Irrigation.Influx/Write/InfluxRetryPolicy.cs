using System.Net.Http.Headers;

namespace Irrigation.Influx.Write;

/// <summary>
/// When to retry a write and how long to wait first. Transient failures only: HTTP 429, 5xx other than 501/505,
/// timeouts and connection errors. Any other 4xx is the request's fault and is never retried. A server's
/// <c>Retry-After</c> (seconds or an HTTP date) is waited as given; otherwise exponential back-off from
/// <see cref="InfluxRetryOptions.FirstDelay"/>, scaled by ±<see cref="InfluxRetryOptions.Jitter"/> and capped at
/// <see cref="InfluxRetryOptions.MaxDelay"/>. Gives up after <see cref="InfluxRetryOptions.MaxAttempts"/> attempts or
/// when the next attempt would start after <see cref="InfluxRetryOptions.MaxElapsed"/>. Stateless and thread-safe.
/// </summary>
public sealed class InfluxRetryPolicy
{
    private readonly InfluxRetryOptions _options;
    private readonly Func<double> _random;

    /// <param name="random">Uniform in [0, 1); tests pass a fixed value.</param>
    public InfluxRetryPolicy(InfluxRetryOptions options, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _random = random ?? Random.Shared.NextDouble;
    }

    public InfluxRetryOptions Options => _options;

    /// <summary>429 Too Many Requests and server errors, except 501 Not Implemented and 505 HTTP Version Not Supported.</summary>
    public static bool IsRetryableStatus(int statusCode) =>
        statusCode == 429 || (statusCode is >= 500 and <= 599 && statusCode is not (501 or 505));

    /// <summary>
    /// A connection error (refused, reset, DNS) or a timeout — not the caller's own cancellation, which
    /// <paramref name="callerToken"/> tells apart.
    /// </summary>
    public static bool IsTransient(Exception exception, CancellationToken callerToken) => exception switch
    {
        HttpRequestException => true,
        IOException => true,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>The wait a <c>Retry-After</c> header asks for at <paramref name="now"/>; null without one; never negative.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta)
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
            return date > now ? date - now : TimeSpan.Zero;
        return null;
    }

    /// <summary>Back-off before retry number <paramref name="retry"/> (1 = first retry), jittered and capped.</summary>
    public TimeSpan Backoff(int retry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var exponent = Math.Min(retry - 1, 64);
        var ticks = _options.FirstDelay.Ticks * Math.Pow(_options.Multiplier, exponent);
        ticks = Math.Min(ticks, _options.MaxDelay.Ticks);
        ticks *= 1 + (_options.Jitter * ((2 * _random()) - 1));
        return TimeSpan.FromTicks((long)Math.Clamp(ticks, 0, _options.MaxDelay.Ticks));
    }

    /// <summary>
    /// After <paramref name="attemptsMade"/> failed attempts, <paramref name="elapsed"/> since the first began: the
    /// wait before the next one, or false to give up. <paramref name="retryAfter"/> is the server's wish, if any.
    /// </summary>
    public bool TryGetDelay(int attemptsMade, TimeSpan elapsed, TimeSpan? retryAfter, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        if (attemptsMade >= _options.MaxAttempts)
            return false;
        var wait = retryAfter ?? Backoff(attemptsMade);
        if (elapsed + wait > _options.MaxElapsed)
            return false;
        delay = wait;
        return true;
    }
}
