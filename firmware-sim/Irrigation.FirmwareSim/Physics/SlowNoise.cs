namespace Irrigation.FirmwareSim.Physics;

/// <summary>
/// A slowly wandering deviation: an Ornstein-Uhlenbeck process with standard deviation
/// <c>sigma</c> and correlation time <c>tau</c>, clamped to ±<c>limit</c>. Exact discretisation, so the
/// statistics do not depend on the step size: <c>x ← x·a + σ·√(1 − a²)·N(0,1)</c> with <c>a = e^(−dt/τ)</c>.
/// Every <see cref="Advance"/> draws exactly two numbers from the generator, whatever the state, so a
/// station's sequence of draws depends only on its sequence of steps.
/// </summary>
internal sealed class SlowNoise
{
    private readonly double _sigma;
    private readonly double _tauSeconds;
    private readonly double _limit;

    /// <summary>Starts from a draw of the stationary distribution, so different seeds differ from the start.</summary>
    public SlowNoise(Random random, double sigma, double tauSeconds, double limit)
    {
        _sigma = sigma;
        _tauSeconds = tauSeconds;
        _limit = limit;
        Value = Math.Clamp(sigma * NextGaussian(random), -limit, limit);
    }

    /// <summary>The current deviation, in the unit of <c>sigma</c>.</summary>
    public double Value { get; private set; }

    public void Advance(Random random, double dtSeconds)
    {
        var a = Math.Exp(-dtSeconds / _tauSeconds);
        var next = Value * a + _sigma * Math.Sqrt(1 - a * a) * NextGaussian(random);
        Value = Math.Clamp(next, -_limit, _limit);
    }

    /// <summary>Box-Muller; uses exactly two uniform draws.</summary>
    private static double NextGaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble(); // (0, 1]: keeps Log finite
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
