namespace Irrigation.Gateway.Commands;

/// <summary>
/// Turns for pump starts on each supply line: a start takes the line's next free moment — now, or the previous start's
/// moment plus the gap — so no two starts on one feeder come closer than the gap, across stations, operators and plans.
/// </summary>
public sealed class SupplyLineStarts(TimeProvider time)
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, DateTimeOffset> _free = new(StringComparer.Ordinal);

    /// <summary>Takes the line's next turn and returns how long to wait for it (zero when the line is free now).</summary>
    public TimeSpan Take(string line, TimeSpan gap)
    {
        ArgumentNullException.ThrowIfNull(line);
        lock (_sync)
        {
            var now = time.GetUtcNow();
            var turn = _free.TryGetValue(line, out var free) && free > now ? free : now;
            _free[line] = turn + gap;
            return turn - now;
        }
    }
}
