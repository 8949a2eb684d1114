namespace Irrigation.Server.Alarms;

public enum AlarmTransition
{
    None,
    Raise,
    Clear,
}

/// <summary>
/// On-delay and latching for one condition of one station: a Raise reading must persist for the rule's on-delay
/// before the alarm is raised; a raised alarm clears only on a Clear reading (Hold keeps it, which with the rules'
/// separate clear thresholds is the hysteresis). A condition that returns after clearing raises a new alarm.
/// </summary>
public sealed class AlarmTracker
{
    private long? _pendingSinceMs;

    public bool Raised { get; private set; }

    /// <summary>For alarms found open in the database at start-up.</summary>
    public static AlarmTracker AlreadyRaised() => new() { Raised = true };

    public AlarmTransition Observe(ConditionState state, TimeSpan onDelay, long nowMs)
    {
        if (Raised)
        {
            if (state != ConditionState.Clear)
                return AlarmTransition.None;
            Raised = false;
            _pendingSinceMs = null;
            return AlarmTransition.Clear;
        }

        switch (state)
        {
            case ConditionState.Raise:
                _pendingSinceMs ??= nowMs;
                if (nowMs - _pendingSinceMs.Value < onDelay.TotalMilliseconds)
                    return AlarmTransition.None;
                Raised = true;
                _pendingSinceMs = null;
                return AlarmTransition.Raise;
            case ConditionState.Clear:
                _pendingSinceMs = null; // the on-delay starts over: a blip never raises
                return AlarmTransition.None;
            default:
                return AlarmTransition.None; // unknown input: neither start nor reset the delay
        }
    }
}
