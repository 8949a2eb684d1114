using System.Diagnostics.Metrics;
using Irrigation.Server.Alarms;
using Irrigation.Server.Http;
using Irrigation.Server.Observability;
using System.Data.Common;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Notifications;

/// <summary>
/// Sends what the durable queue holds once it is due: SMS (Alibaba or Tencent Cloud), voice calls (Alibaba Cloud), webhook deliveries.
/// Each job is claimed atomically (one sender per job); a failure (HTTP error, a provider Code other than OK, a
/// timeout) is counted, logged with the number masked, and retried with back-off up to a bound; nothing a provider
/// answers ends this loop. A step of an alarm acknowledged or cleared in the meantime is cancelled, not sent.
/// </summary>
public sealed class NotificationDispatcher : BackgroundService
{
    /// <summary>Jobs sent at once per round: a burst of alarms does not wait for one slow provider answer after another.</summary>
    private const int Parallel = 8;

    private readonly NotificationOptions _options;
    private readonly AlarmOptions _alarmOptions;
    private readonly NotificationQueue _queue;
    private readonly AlarmStore _alarms;
    private readonly AliyunClient _aliyun;
    private readonly ISmsProvider _sms;
    private readonly AlarmNotifier _webhooks;
    private readonly TimeProvider _time;
    private readonly ILogger<NotificationDispatcher> _logger;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _dropped;

    public NotificationDispatcher(IOptions<NotificationOptions> options, IOptions<AlarmOptions> alarmOptions, NotificationQueue queue, AlarmStore alarms, AliyunClient aliyun, ISmsProvider sms,
        AlarmNotifier webhooks, IMeterFactory meters, TimeProvider time, ILogger<NotificationDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(alarmOptions);
        _options = options.Value;
        _alarmOptions = alarmOptions.Value;
        _queue = queue;
        _alarms = alarms;
        _aliyun = aliyun;
        _sms = sms;
        _webhooks = webhooks;
        _time = time;
        _logger = logger;
        var meter = ServerMeters.Create(meters);
        _sent = meter.CreateCounter<long>("irrigation_notifications_sent", description: "Notifications a provider or webhook accepted, by channel (sms, voice, webhook).");
        _failures = meter.CreateCounter<long>("irrigation_notification_failures", description: "Failed notification attempts, by channel and reason (http_error, provider_code, timeout, network, bad_answer).");
        _dropped = meter.CreateCounter<long>("irrigation_alarm_notifications_dropped", description: "Alarm notifications given up after their last attempt (any channel).");
        _dropped.Add(0);
        foreach (var channel in new[] { Channels.Sms, Channels.Voice, Channels.Webhook })
        {
            _sent.Add(0, new KeyValuePair<string, object?>("channel", channel));
        }

        meter.CreateObservableGauge("irrigation_notification_queue", () =>
        {
            var waiting = _queue.Waiting();
            return new[] { Channels.Sms, Channels.Voice, Channels.Webhook }.Select(c => new Measurement<int>(waiting.GetValueOrDefault(c), new KeyValuePair<string, object?>("channel", c)));
        }, description: "Notifications waiting in the durable queue (pending or being sent), by channel.");
    }

    /// <summary>A send claimed longer ago than this was abandoned by a crashed sender: every request ends within its timeout.</summary>
    private TimeSpan AbandonedAfter => (2 * Max(_options.Aliyun.Timeout, TimeSpan.FromSeconds(10))) + TimeSpan.FromSeconds(5);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.PollInterval);
        do
        {
            try
            {
                RecoverAbandoned();
                await SendDueAsync();
            }
            catch (DbException ex)
            {
                _logger.LogError(ex, "Notification queue unreadable; trying again next round.");
            }
        }
        while (await Ticks.NextAsync(timer, stoppingToken));
    }

    private void RecoverAbandoned()
    {
        var now = _time.GetUtcNow();
        foreach (var job in _queue.RecoverAbandoned((now - AbandonedAfter).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds()))
        {
            _logger.LogWarning("{Channel} step {Step} of alarm {Id} to {Name} {Phone} was being sent when its sender stopped; not sent again.",
                job.Channel, job.Step, job.AlarmId, job.Recipient, PhoneNumbers.Mask(job.Phone));
        }
    }

    /// <summary>
    /// Sends every job due now, <see cref="Parallel"/> at a time. Sends are not cut off by a stop (the host waits for
    /// them, each bounded by the client timeout): a send cut off would leave its outcome unknown.
    /// </summary>
    internal async Task SendDueAsync()
    {
        while (true)
        {
            var batch = new List<NotificationJob>(Parallel);
            while (batch.Count < Parallel && _queue.ClaimDue(_time.GetUtcNow().ToUnixTimeMilliseconds()) is { } job)
                batch.Add(job);
            if (batch.Count == 0)
                return;
            await Task.WhenAll(batch.Select(SendOneAsync));
        }
    }

    private async Task SendOneAsync(NotificationJob job)
    {
        try
        {
            if (job.Channel == Channels.Webhook)
                await SendWebhookAsync(job);
            else
                await SendToPersonAsync(job);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or ArgumentException or IOException)
        {
            _logger.LogError(ex, "Notification {Job} ({Channel}) of alarm {Id}: unexpected error; retried.", job.Id, job.Channel, job.AlarmId);
            Failed(job, SendFailure.Network, ex.Message, job.Channel == Channels.Webhook ? _alarmOptions.WebhookAttempts : _options.Attempts);
        }
    }

    private async Task SendToPersonAsync(NotificationJob job)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var alarm = _alarms.Get(job.AlarmId);
        if (alarm is null || alarm.AcknowledgedAt is not null || alarm.ClearedAt is not null)
        {
            // Acknowledged (or cleared) after this step was claimed: the person need not be woken any more.
            _queue.Finish(job.Id, JobStates.Cancelled, alarm is null ? "alarm not found" : alarm.AcknowledgedAt is not null ? "alarm acknowledged" : "alarm cleared", now);
            return;
        }

        var phone = job.Phone ?? "";
        var result = job.Channel == Channels.Voice
            ? await _aliyun.CallByTtsAsync(phone, job.Body, job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None)
            : await _sms.SendSmsAsync(phone, job.Body, job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
        now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _queue.RecordAttempt(job, now, result.RequestId, result.ProviderId, result.Ok ? JobStates.Sent : JobStates.Failed, result.Error);
        if (result.Ok)
        {
            _queue.Finish(job.Id, JobStates.Sent, null, now);
            _sent.Add(1, new KeyValuePair<string, object?>("channel", job.Channel));
            _logger.LogInformation("Alarm {Id}: {Channel} step {Step} to {Name} {Phone} accepted (RequestId {RequestId}).", job.AlarmId, job.Channel, job.Step, job.Recipient, PhoneNumbers.Mask(phone), result.RequestId);
            return;
        }

        _logger.LogWarning("Alarm {Id}: {Channel} step {Step} to {Name} {Phone}, attempt {Attempt}: {Error}", job.AlarmId, job.Channel, job.Step, job.Recipient, PhoneNumbers.Mask(phone), job.Attempts, result.Error);
        Failed(job, result.Failure, result.Error ?? "failed", _options.Attempts);
    }

    private async Task SendWebhookAsync(NotificationJob job)
    {
        var hook = job.Step < _alarmOptions.Webhooks.Count ? _alarmOptions.Webhooks[job.Step] : null;
        if (hook is null || AlarmNotifier.ShownUrl(hook) != job.Recipient)
        {
            _queue.Finish(job.Id, JobStates.Failed, "the webhook is no longer configured", _time.GetUtcNow().ToUnixTimeMilliseconds());
            _dropped.Add(1);
            return;
        }

        var (status, error) = await _webhooks.SendAsync(hook, job.Body, CancellationToken.None);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _alarms.RecordDelivery(job.AlarmId, job.Event, job.Recipient, hook.Format, job.Attempts, now, status, error is null ? "delivered" : "failed", error);
        if (error is null)
        {
            _queue.Finish(job.Id, JobStates.Sent, null, now);
            _sent.Add(1, new KeyValuePair<string, object?>("channel", Channels.Webhook));
            return;
        }

        _logger.LogWarning("Alarm webhook {Url} ({Format}) attempt {Attempt}: {Error}", job.Recipient, hook.Format, job.Attempts, error);
        Failed(job, status is null ? SendFailure.Network : SendFailure.HttpError, error, _alarmOptions.WebhookAttempts);
    }

    private void Failed(NotificationJob job, SendFailure failure, string error, int maxAttempts)
    {
        _failures.Add(1, new KeyValuePair<string, object?>("channel", job.Channel), new KeyValuePair<string, object?>("reason", failure.ToSnakeCase()));
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (job.Attempts < maxAttempts)
        {
            var delay = job.Channel == Channels.Webhook
                ? RetryDelay.After(job.Attempts, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), Random.Shared.NextDouble())
                : RetryDelay.After(job.Attempts, _options.RetryDelay, _options.MaxRetryDelay, Random.Shared.NextDouble());
            _queue.Retry(job.Id, error, now + (long)delay.TotalMilliseconds, now);
            return;
        }

        _queue.Finish(job.Id, JobStates.Failed, error, now);
        _dropped.Add(1);
        _logger.LogError("Alarm {Id}: {Channel} step {Step} to {Name} {Phone} given up after {Attempts} attempts: {Error}", job.AlarmId, job.Channel, job.Step, job.Recipient, PhoneNumbers.Mask(job.Phone), job.Attempts, error);
    }
}
