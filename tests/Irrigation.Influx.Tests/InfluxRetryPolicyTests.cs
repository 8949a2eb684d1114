using System.Net.Http.Headers;
using Irrigation.Influx.Write;

namespace Irrigation.Influx.Tests;

/// <summary>The retry policy alone: which failures are retried, how long it waits, when it gives up.</summary>
public sealed class InfluxRetryPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private static InfluxRetryPolicy Policy(double random = 0.5, int maxAttempts = 10, double jitter = 0.2, int maxElapsedSeconds = 600) =>
        new(new InfluxRetryOptions
        {
            MaxAttempts = maxAttempts,
            FirstDelay = TimeSpan.FromSeconds(1),
            Multiplier = 2,
            MaxDelay = TimeSpan.FromSeconds(30),
            Jitter = jitter,
            MaxElapsed = TimeSpan.FromSeconds(maxElapsedSeconds),
        }, () => random);

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(599)]
    public void IsRetryableStatus_TooManyRequestsAndServerErrors_True(int status) =>
        Assert.True(InfluxRetryPolicy.IsRetryableStatus(status));

    [Theory]
    [InlineData(200)]
    [InlineData(204)]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(413)]
    [InlineData(422)]
    [InlineData(501)]
    [InlineData(505)]
    public void IsRetryableStatus_ClientErrorsAndNotImplemented_False(int status) =>
        Assert.False(InfluxRetryPolicy.IsRetryableStatus(status));

    [Fact]
    public void IsTransient_ConnectionErrorsAndTimeouts_True()
    {
        Assert.True(InfluxRetryPolicy.IsTransient(new HttpRequestException("Connection refused"), CancellationToken.None));
        Assert.True(InfluxRetryPolicy.IsTransient(new IOException("reset"), CancellationToken.None));
        Assert.True(InfluxRetryPolicy.IsTransient(new TaskCanceledException("HttpClient.Timeout elapsed"), CancellationToken.None));
    }

    [Fact]
    public void IsTransient_CallerCancelledOrOtherError_False()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.False(InfluxRetryPolicy.IsTransient(new TaskCanceledException(), cts.Token));
        Assert.False(InfluxRetryPolicy.IsTransient(new InvalidOperationException(), CancellationToken.None));
    }

    [Fact]
    public void RetryAfter_Seconds_IsThatDelay() =>
        Assert.Equal(TimeSpan.FromSeconds(7), InfluxRetryPolicy.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), Now));

    [Fact]
    public void RetryAfter_HttpDate_IsTheTimeUntilThen()
    {
        var header = RetryConditionHeaderValue.Parse(Now.AddSeconds(30).ToString("r", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.FromSeconds(30), InfluxRetryPolicy.RetryAfter(header, Now));
    }

    [Fact]
    public void RetryAfter_DateInThePast_IsZero() =>
        Assert.Equal(TimeSpan.Zero, InfluxRetryPolicy.RetryAfter(new RetryConditionHeaderValue(Now.AddMinutes(-1)), Now));

    [Fact]
    public void RetryAfter_NoHeader_IsNull() =>
        Assert.Null(InfluxRetryPolicy.RetryAfter(null, Now));

    [Fact]
    public void Backoff_MiddleJitter_DoublesUpToTheCap()
    {
        var policy = Policy(random: 0.5);
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], Enumerable.Range(1, 8).Select(r => policy.Backoff(r).TotalSeconds));
    }

    [Fact]
    public void Backoff_Jitter_StaysWithinPlusMinusFraction()
    {
        Assert.Equal(TimeSpan.FromSeconds(3.2), Policy(random: 0).Backoff(3));
        Assert.Equal(TimeSpan.FromSeconds(4.8), Policy(random: 1).Backoff(3));
        var random = new Random(42);
        var policy = new InfluxRetryPolicy(new InfluxRetryOptions { FirstDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), Jitter = 0.2 }, random.NextDouble);
        for (var i = 0; i < 1000; i++)
        {
            var delay = policy.Backoff(3).TotalSeconds;
            Assert.InRange(delay, 3.2, 4.8);
        }
    }

    [Fact]
    public void Backoff_AtTheCapWithUpwardJitter_NeverExceedsTheCap()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Policy(random: 1).Backoff(20));
        Assert.Equal(TimeSpan.FromSeconds(24), Policy(random: 0).Backoff(20));
    }

    [Fact]
    public void TryGetDelay_MaxAttemptsReached_GivesUp()
    {
        var policy = Policy(maxAttempts: 3);
        Assert.True(policy.TryGetDelay(1, TimeSpan.Zero, null, out var first));
        Assert.True(policy.TryGetDelay(2, TimeSpan.Zero, null, out var second));
        Assert.False(policy.TryGetDelay(3, TimeSpan.Zero, null, out _));
        Assert.Equal(TimeSpan.FromSeconds(1), first);
        Assert.Equal(TimeSpan.FromSeconds(2), second);
    }

    [Fact]
    public void TryGetDelay_WouldPassMaxElapsed_GivesUp()
    {
        var policy = Policy(maxElapsedSeconds: 10);
        Assert.True(policy.TryGetDelay(1, TimeSpan.FromSeconds(8), null, out _));
        Assert.False(policy.TryGetDelay(2, TimeSpan.FromSeconds(9), null, out _));
    }

    [Fact]
    public void TryGetDelay_RetryAfter_IsHonouredEvenAboveTheBackoffCap()
    {
        var policy = Policy();
        Assert.True(policy.TryGetDelay(1, TimeSpan.Zero, TimeSpan.FromSeconds(45), out var delay));
        Assert.Equal(TimeSpan.FromSeconds(45), delay);
        Assert.True(policy.TryGetDelay(4, TimeSpan.Zero, TimeSpan.Zero, out var now));
        Assert.Equal(TimeSpan.Zero, now);
    }

    [Fact]
    public void TryGetDelay_RetryAfterBeyondMaxElapsed_GivesUp() =>
        Assert.False(Policy(maxElapsedSeconds: 60).TryGetDelay(1, TimeSpan.Zero, TimeSpan.FromMinutes(5), out _));

    [Fact]
    public void TryGetDelay_SingleAttemptConfigured_NeverRetries() =>
        Assert.False(Policy(maxAttempts: 1).TryGetDelay(1, TimeSpan.Zero, null, out _));

    [Theory]
    [InlineData(0, 1, 30, 0.2)]
    [InlineData(3, -1, 30, 0.2)]
    [InlineData(3, 10, 5, 0.2)]
    [InlineData(3, 1, 30, 1.0)]
    public void Options_Invalid_Throw(int maxAttempts, int firstSeconds, int maxSeconds, double jitter) =>
        Assert.Throws<ArgumentException>(() => new InfluxRetryPolicy(new InfluxRetryOptions
        {
            MaxAttempts = maxAttempts,
            FirstDelay = TimeSpan.FromSeconds(firstSeconds),
            MaxDelay = TimeSpan.FromSeconds(maxSeconds),
            Jitter = jitter,
        }));
}
