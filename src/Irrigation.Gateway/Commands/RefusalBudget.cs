namespace Irrigation.Gateway.Commands;

/// <summary>
/// How many answers the gateway gives to commands it refuses unread or unsigned: a token bucket of
/// <see cref="Burst"/>, refilled at <see cref="PerMinute"/> a minute. Anyone with broker access can publish junk and
/// forgeries; each one answered costs a slot in the outbox (where telemetry waits during an outage) and an audit row on
/// the server. Past the budget a refusal is still refused, counted and logged — just not answered.
/// </summary>
public sealed class RefusalBudget(TimeProvider time)
{
    public const int Burst = 30;
    public const int PerMinute = 30;

    private readonly Lock _sync = new();
    private double _tokens = Burst;
    private long _last = time.GetTimestamp();
    private long _suppressed;

    /// <summary>Refusals not answered since the last <see cref="TakeSuppressed"/>.</summary>
    public long Suppressed
    {
        get
        {
            lock (_sync)
                return _suppressed;
        }
    }

    /// <summary>True when this refusal may be answered; false (counted) when the budget is spent.</summary>
    public bool TryTake()
    {
        lock (_sync)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(Burst, _tokens + (time.GetElapsedTime(_last, now).TotalMinutes * PerMinute));
            _last = now;
            if (_tokens >= 1)
            {
                _tokens--;
                return true;
            }

            _suppressed++;
            return false;
        }
    }

    /// <summary>Returns and resets the count of unanswered refusals (for one log line per interval).</summary>
    public long TakeSuppressed()
    {
        lock (_sync)
        {
            var count = _suppressed;
            _suppressed = 0;
            return count;
        }
    }
}
