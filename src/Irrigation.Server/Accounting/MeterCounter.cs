using Irrigation.Contracts;
namespace Irrigation.Server.Accounting;

/// <summary>One reading of a counter or a signal: Unix ms and value.</summary>
public readonly record struct Reading(long TimeMs, double Value);

/// <summary>What a step between two consecutive counter readings was.</summary>
public enum CounterStep
{
    /// <summary>The counter advanced (or stood still): the difference counts.</summary>
    Advance,

    /// <summary>The counter went back to (near) zero — cleared, rolled over, or a new meter starting at zero: the new reading counts.</summary>
    Reset,

    /// <summary>The counter went back, but not to near zero — another meter with its own reading: nothing counts; it is the new baseline.</summary>
    Replacement,
}

/// <summary>
/// Daily sums of a cumulative counter (energy kWh, flow totaliser m³, run hours, starts) from its readings, with
/// resets and meter replacements handled (docs/accounting.md):
/// <list type="bullet">
/// <item>a rise from one reading to the next counts in full, on the Beijing day of the later reading — so the step
/// from the last reading before midnight to the first after it belongs to the new day;</item>
/// <item>a fall to at most <c>resetRatio</c> × the previous reading is a reset: the new reading counts (used since zero);</item>
/// <item>a smaller fall is a replaced meter: nothing counts, the new reading is the baseline.</item>
/// </list>
/// </summary>
public static class MeterCounter
{
    public const double DefaultResetRatio = 0.1;

    /// <summary>How much of the step from <paramref name="previous"/> to <paramref name="current"/> counts, and why.</summary>
    public static double Step(double previous, double current, double resetRatio, out CounterStep kind)
    {
        if (current >= previous)
        {
            kind = CounterStep.Advance;
            return current - previous;
        }

        if (current <= previous * resetRatio)
        {
            kind = CounterStep.Reset;
            return current;
        }

        kind = CounterStep.Replacement;
        return 0;
    }

    /// <summary>
    /// Sums by Beijing day the steps whose later reading is at or after <paramref name="fromMs"/>. Readings before it are
    /// only baselines. Readings must be in time order; negative and non-finite readings are skipped. Every day with a
    /// reading from <paramref name="fromMs"/> on is in the result, with 0 when the counter did not move.
    /// </summary>
    public static SortedDictionary<DateOnly, double> SumByDay(IEnumerable<Reading> readings, long fromMs, double resetRatio)
    {
        ArgumentNullException.ThrowIfNull(readings);
        var days = new SortedDictionary<DateOnly, double>();
        double? previous = null;
        foreach (var reading in readings)
        {
            if (!double.IsFinite(reading.Value) || reading.Value < 0)
                continue;
            if (reading.TimeMs >= fromMs)
            {
                var day = BeijingTime.DateOf(reading.TimeMs);
                var counted = previous is { } p ? Step(p, reading.Value, resetRatio, out _) : 0;
                days[day] = days.GetValueOrDefault(day) + counted;
            }

            previous = reading.Value;
        }

        return days;
    }
}
