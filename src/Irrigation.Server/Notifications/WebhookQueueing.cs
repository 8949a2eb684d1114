using Irrigation.Server.Alarms;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Notifications;

/// <summary>Queues an alarm event for every webhook that wants it (<c>Irrigation:Alarms:Webhooks</c>), durably, body made now.</summary>
public sealed class WebhookQueueing : IAlarmEventListener
{
    private readonly AlarmOptions _alarms;
    private readonly NotificationQueue _queue;
    private readonly TimeProvider _time;

    public WebhookQueueing(IOptions<AlarmOptions> alarms, NotificationQueue queue, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(alarms);
        _alarms = alarms.Value;
        _queue = queue;
        _time = time;
    }

    public void OnAlarmEvent(string @event, AlarmView alarm)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var notification = new AlarmNotification(@event, alarm);
        var jobs = _alarms.Webhooks
            .Select((hook, index) => (hook, index))
            .Where(h => h.hook.Events.Contains(@event))
            .Select(h => (alarm.Id, Channels.Webhook, @event, h.index, AlarmNotifier.ShownUrl(h.hook), (string?)null, AlarmNotifier.BodyJson(h.hook.Format, notification), now))
            .ToList();
        if (jobs.Count > 0)
            _queue.Enqueue(jobs, now);
    }
}
