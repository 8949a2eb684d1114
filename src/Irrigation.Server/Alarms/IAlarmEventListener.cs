namespace Irrigation.Server.Alarms;

/// <summary>
/// Told of every alarm lifecycle event (raised, acknowledged, cleared) after it is stored. Features built on alarms
/// (webhooks, SMS escalation) implement it, so the alarm engine never depends on them. Called under the engine's
/// lock: an implementation only records what it must do (a durable queue), it never sends.
/// </summary>
public interface IAlarmEventListener
{
    void OnAlarmEvent(string @event, AlarmView alarm);
}
