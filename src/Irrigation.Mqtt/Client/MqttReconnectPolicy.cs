namespace Irrigation.Mqtt.Client;

/// <summary>
/// Delay before reconnect attempt n (0-based): <c>initial × 2ⁿ</c>, capped at <c>max</c>, then spread by ±20% so a
/// fleet of clients that lost the same broker does not reconnect in lockstep.
/// </summary>
public sealed class MqttReconnectPolicy
{
    public const double Jitter = 0.2;

    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;

    /// <param name="random">Uniform in [0, 1); defaults to <see cref="Random.Shared"/>.</param>
    public MqttReconnectPolicy(TimeSpan initial, TimeSpan max, Func<double>? random = null)
    {
        if (initial <= TimeSpan.Zero || max < initial)
            throw new ArgumentException($"Reconnect delays must satisfy 0 < initial ({initial}) <= max ({max}).");
        _initial = initial;
        _max = max;
        _random = random ?? Random.Shared.NextDouble;
    }

    public TimeSpan GetDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var exponential = _initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(exponential, _max.TotalMilliseconds);
        var factor = 1 - Jitter + (2 * Jitter * _random());
        return TimeSpan.FromMilliseconds(capped * factor);
    }
}
