using Irrigation.Mqtt.Client;

namespace Irrigation.Mqtt.Tests;

/// <summary>Reconnect back-off: doubling from the first delay, capped, ±20% jitter.</summary>
public sealed class MqttReconnectPolicyTests
{
    [Theory]
    [InlineData(0, 1_000)]
    [InlineData(1, 2_000)]
    [InlineData(2, 4_000)]
    [InlineData(4, 16_000)]
    [InlineData(5, 30_000)]
    [InlineData(1_000, 30_000)]
    public void GetDelay_MiddleOfJitter_DoublesUpToTheCap(int attempt, int expectedMs)
    {
        var policy = new MqttReconnectPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => 0.5);
        Assert.Equal(expectedMs, policy.GetDelay(attempt).TotalMilliseconds, precision: 3);
    }

    [Theory]
    [InlineData(0.0, 800)]
    [InlineData(0.999_999, 1_200)]
    public void GetDelay_JitterExtremes_StayWithinTwentyPercent(double random, int expectedMs)
    {
        var policy = new MqttReconnectPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => random);
        Assert.Equal(expectedMs, policy.GetDelay(0).TotalMilliseconds, precision: 0);
    }

    [Fact]
    public void GetDelay_SharedRandom_AlwaysWithinBounds()
    {
        var policy = new MqttReconnectPolicy(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var delay = policy.GetDelay(attempt).TotalMilliseconds;
            var nominal = Math.Min(100 * Math.Pow(2, attempt), 2_000);
            Assert.InRange(delay, nominal * 0.8, nominal * 1.2);
        }
    }

    [Fact]
    public void Constructor_MaxBelowInitial_Throws() =>
        Assert.Throws<ArgumentException>(() => new MqttReconnectPolicy(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
}
