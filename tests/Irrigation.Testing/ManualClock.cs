namespace Irrigation.Testing;

/// <summary>
/// A clock a test moves by hand: the wall clock (<see cref="GetUtcNow"/>) and the monotonic clock
/// (<see cref="GetTimestamp"/>) advance together, or the wall clock alone is set (someone changed it).
/// </summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private long _ticks = 1_000_000;

    public ManualClock()
        : this(new DateTimeOffset(2026, 6, 10, 14, 0, 0, TimeSpan.Zero))
    {
    }

    public DateTimeOffset Now { get; private set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    /// <summary>Wall clock and monotonic clock move together.</summary>
    public void Advance(TimeSpan by)
    {
        Now += by;
        _ticks += by.Ticks;
    }

    /// <summary>Only the wall clock moves (someone set it, or a real-time clock was reset).</summary>
    public void Set(DateTimeOffset now) => Now = now;
}
