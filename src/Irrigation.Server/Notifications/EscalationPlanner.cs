using Irrigation.Server.Alarms;

namespace Irrigation.Server.Notifications;

/// <summary>How a notification reaches a person.</summary>
public static class Channels
{
    public const string Sms = "sms";
    public const string Voice = "voice";
    public const string Webhook = "webhook";
}

/// <summary>One step of an alarm's escalation: what goes to whom, and when (Unix ms).</summary>
public sealed record EscalationStep(int Step, string Channel, DutyPerson Person, long DueMs);

/// <summary>
/// Plans an alarm's escalation when it is raised: an SMS to the first person on duty; unacknowledged after
/// <see cref="NotificationOptions.EscalateAfter"/> an SMS to the next; then, for critical alarms, up to
/// <see cref="NotificationOptions.VoiceCalls"/> voice calls, one per interval, taking the people on duty in turn.
/// A non-critical alarm raised in quiet hours starts its plan when they end. Acknowledging cancels what is left.
/// </summary>
public static class EscalationPlanner
{
    /// <summary>The moment the plan starts: at once for critical alarms, else at the end of quiet hours.</summary>
    public static long StartMs(AlarmSeverity severity, long raisedMs, ClockWindow? quietHours) =>
        severity == AlarmSeverity.Critical || quietHours is not { } quiet ? raisedMs : quiet.EndAfter(raisedMs);

    public static IReadOnlyList<EscalationStep> Plan(AlarmSeverity severity, long startMs, IReadOnlyList<DutyPerson> onDuty, TimeSpan escalateAfter, int voiceCalls)
    {
        ArgumentNullException.ThrowIfNull(onDuty);
        if (onDuty.Count == 0)
            return [];
        var interval = (long)escalateAfter.TotalMilliseconds;
        var steps = new List<EscalationStep> { new(0, Channels.Sms, onDuty[0], startMs) };
        if (onDuty.Count > 1)
            steps.Add(new EscalationStep(1, Channels.Sms, onDuty[1], startMs + interval));
        if (severity != AlarmSeverity.Critical)
            return steps;
        var smsSteps = steps.Count;
        for (var call = 0; call < voiceCalls; call++)
        {
            var step = smsSteps + call;
            steps.Add(new EscalationStep(step, Channels.Voice, onDuty[call % onDuty.Count], startMs + (step * interval)));
        }

        return steps;
    }
}
