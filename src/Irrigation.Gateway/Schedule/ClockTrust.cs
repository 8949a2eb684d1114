using Irrigation.Gateway.Configuration;

namespace Irrigation.Gateway.Schedule;

/// <summary>
/// Whether the gateway's clock may be trusted to start pumps by plan (docs/plans.md). A plan names Beijing wall-clock
/// times, so a clock that is wrong starts pumps at the wrong hour — at night, at peak tariff, or twice. The clock is
/// not trusted when:
/// <list type="bullet">
/// <item>it differs from the server's by more than <see cref="ScheduleSettings.MaxClockSkew"/> (the server publishes its time
/// on <c>{root}/time</c>; the last reading is carried forward on the monotonic clock while the link is down);</item>
/// <item>it is behind the time the server signed the running plan set (a real-time clock reset after a power cut);</item>
/// <item>it went back by more than the skew since the gateway last looked (kept on disk across restarts).</item>
/// </list>
/// Without any server reading yet (a gateway started while cut off) the other two checks decide: running the plan
/// offline is the point.
/// </summary>
public sealed class ClockTrust(ScheduleSettings settings, TimeProvider time)
{
    private readonly Lock _sync = new();
    private long _serverMs;
    private long _receivedAt;
    private bool _measured;

    /// <summary>The server's clock as just received, with the local clock at that moment.</summary>
    public void ServerTime(long serverMs)
    {
        lock (_sync)
        {
            _serverMs = serverMs;
            _receivedAt = time.GetTimestamp();
            _measured = true;
        }
    }

    /// <summary>Local minus server time in ms at the last reading, carried forward; null before the first reading.</summary>
    public long? SkewMs(long nowMs)
    {
        lock (_sync)
        {
            if (!_measured)
                return null;
            var serverNow = _serverMs + (long)time.GetElapsedTime(_receivedAt).TotalMilliseconds;
            return nowMs - serverNow;
        }
    }

    /// <summary>Null when the clock may be trusted at <paramref name="nowMs"/>; else why not, for people.</summary>
    public string? Problem(long nowMs, long checkpointMs, long planIssuedAtMs) => Check(nowMs, checkpointMs, planIssuedAtMs)?.Text;

    /// <summary>
    /// Null when the clock may be trusted; else the kind of problem (<c>skew</c>, <c>before_signing</c>, <c>went_back</c>)
    /// and the text. A server reading within the limit settles it: the clock is right, whatever the checkpoint says
    /// (a checkpoint left in the future by an earlier jump forward).
    /// </summary>
    public ClockProblem? Check(long nowMs, long checkpointMs, long planIssuedAtMs)
    {
        var limit = (long)settings.MaxClockSkew.TotalMilliseconds;
        if (SkewMs(nowMs) is { } skew)
        {
            return Math.Abs(skew) > limit
                ? new ClockProblem("skew", $"the gateway's clock is {Math.Abs(skew) / 1000.0:0} s {(skew > 0 ? "ahead of" : "behind")} the server's (more than {limit / 1000} s)")
                : null;
        }

        if (planIssuedAtMs > 0 && nowMs < planIssuedAtMs - limit)
            return new ClockProblem("before_signing", $"the gateway's clock ({DateTimeOffset.FromUnixTimeMilliseconds(nowMs):u}) is before the time the running plan was signed ({DateTimeOffset.FromUnixTimeMilliseconds(planIssuedAtMs):u})");
        if (checkpointMs > 0 && nowMs < checkpointMs - limit)
            return new ClockProblem("went_back", $"the gateway's clock went back from {DateTimeOffset.FromUnixTimeMilliseconds(checkpointMs):u} to {DateTimeOffset.FromUnixTimeMilliseconds(nowMs):u}");
        return null;
    }

    /// <summary>True when a server reading exists and agrees with the clock within the limit.</summary>
    public bool ConfirmedByServer(long nowMs) => SkewMs(nowMs) is { } skew && Math.Abs(skew) <= (long)settings.MaxClockSkew.TotalMilliseconds;
}

/// <summary>Why the clock is not trusted: a kind that stays the same while the problem lasts, and the text for people.</summary>
public sealed record ClockProblem(string Kind, string Text);
