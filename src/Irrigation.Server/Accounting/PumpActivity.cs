using Irrigation.Contracts;
namespace Irrigation.Server.Accounting;

/// <summary>One pump row of the <c>pump</c> measurement: each field null when the message did not carry it.</summary>
public readonly record struct PumpReading(long TimeMs, double? Running, double? Starts, double? RunHours, double? MotorCurrent);

/// <summary>What a pump did on one Beijing day, from its <c>running</c> and <c>motor_current</c> signals.</summary>
public sealed class PumpActivity
{
    /// <summary>Seconds with <c>running</c> = 1.</summary>
    public double RunningSeconds { get; internal set; }

    /// <summary>∫ motor current dt over the running seconds with a known current (A·s).</summary>
    public double AmpereSeconds { get; internal set; }

    /// <summary>Running seconds with a known current.</summary>
    public double CurrentSeconds { get; internal set; }

    /// <summary>0 → 1 transitions of <c>running</c>.</summary>
    public long Starts { get; internal set; }

    /// <summary>True when the day has at least one reading of the pump.</summary>
    public bool HasReadings { get; internal set; }

    /// <summary>Time-weighted mean motor current while running, or null when unknown.</summary>
    public double? MeanRunningCurrent => CurrentSeconds > 0 ? AmpereSeconds / CurrentSeconds : null;

    /// <summary>
    /// Integrates the pump's signals by Beijing day over [<paramref name="fromMs"/>, <paramref name="endMs"/>). A state
    /// holds from one reading to the next, but at most <paramref name="hold"/> (a gateway sends a snapshot every minute,
    /// so a longer silence is a gap, not running time). Readings before <paramref name="fromMs"/> give the initial state.
    /// </summary>
    public static SortedDictionary<DateOnly, PumpActivity> ByDay(IEnumerable<PumpReading> readings, long fromMs, long endMs, TimeSpan hold)
    {
        ArgumentNullException.ThrowIfNull(readings);
        var days = new SortedDictionary<DateOnly, PumpActivity>();
        var holdMs = (long)hold.TotalMilliseconds;
        bool? running = null;
        double? current = null;
        long? last = null;
        foreach (var reading in readings)
        {
            if (last is { } since)
                Hold(days, since, Math.Min(reading.TimeMs, since + holdMs), running, current, fromMs, endMs);
            var inRange = reading.TimeMs >= fromMs && reading.TimeMs < endMs;
            if (reading.Running is { } r && double.IsFinite(r))
            {
                var now = r >= 0.5;
                if (inRange && running == false && now)
                    Day(days, reading.TimeMs).Starts++;
                running = now;
            }

            if (reading.MotorCurrent is { } a && double.IsFinite(a))
                current = a;
            if (inRange)
                Day(days, reading.TimeMs).HasReadings = true;
            last = reading.TimeMs;
        }

        if (last is { } end)
            Hold(days, end, Math.Min(endMs, end + holdMs), running, current, fromMs, endMs);
        return days;
    }

    private static PumpActivity Day(SortedDictionary<DateOnly, PumpActivity> days, long timeMs)
    {
        var date = BeijingTime.DateOf(timeMs);
        if (!days.TryGetValue(date, out var day))
            days[date] = day = new PumpActivity();
        return day;
    }

    /// <summary>Adds [a, b) clipped to the range, split at Beijing midnights, when the pump was running.</summary>
    private static void Hold(SortedDictionary<DateOnly, PumpActivity> days, long a, long b, bool? running, double? current, long fromMs, long endMs)
    {
        if (running != true)
            return;
        a = Math.Max(a, fromMs);
        b = Math.Min(b, endMs);
        while (a < b)
        {
            var date = BeijingTime.DateOf(a);
            var segmentEnd = Math.Min(b, BeijingTime.StartOfMs(date.AddDays(1)));
            var seconds = (segmentEnd - a) / 1000.0;
            var day = Day(days, a);
            day.RunningSeconds += seconds;
            if (current is { } amps)
            {
                day.AmpereSeconds += amps * seconds;
                day.CurrentSeconds += seconds;
            }

            a = segmentEnd;
        }
    }
}
