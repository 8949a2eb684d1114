using System.Globalization;
using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Server.Alarms;
using Irrigation.Server.State;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Notifications;

/// <summary>
/// Turns an alarm raised into its escalation plan (<see cref="EscalationPlanner"/>) for the people on duty in the
/// station's town, queued durably; an alarm acknowledged or cleared cancels the steps not yet sent.
/// </summary>
public sealed class AlarmEscalation : IAlarmEventListener
{
    private static readonly string[] EscalationChannels = [Channels.Sms, Channels.Voice];
    private readonly NotificationOptions _options;
    private readonly DutyRoster _roster;
    private readonly StationRegistry _stations;
    private readonly NotificationQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<AlarmEscalation> _logger;
    private readonly ClockWindow? _quietHours;

    public AlarmEscalation(IOptions<NotificationOptions> options, DutyRoster roster, StationRegistry stations, NotificationQueue queue, TimeProvider time, ILogger<AlarmEscalation> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _roster = roster;
        _stations = stations;
        _queue = queue;
        _time = time;
        _logger = logger;
        _quietHours = _options.QuietHours is { } q
            ? new ClockWindow(NotificationOptions.ClockTime(q.From, "QuietHours:From"), NotificationOptions.ClockTime(q.To, "QuietHours:To"))
            : null;
    }

    public void OnAlarmEvent(string @event, AlarmView alarm)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        if (!_options.SmsEnabled)
            return;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (@event != "raised")
        {
            var cancelled = _queue.CancelPending(alarm.Id, EscalationChannels, $"alarm {@event}", now);
            if (cancelled > 0)
                _logger.LogInformation("Alarm {Id} {Event}: {Count} escalation steps cancelled.", alarm.Id, @event, cancelled);
            return;
        }

        var town = _stations.Find(alarm.Station)?.Site ?? "";
        var start = EscalationPlanner.StartMs(alarm.Severity, alarm.RaisedAt, _quietHours);
        var onDuty = _roster.OnDuty(town, start);
        if (onDuty.Count == 0)
        {
            _logger.LogWarning("Alarm {Id} at {Station}: no one on duty in town '{Town}'; no SMS is sent.", alarm.Id, alarm.Station, town);
            return;
        }

        var steps = EscalationPlanner.Plan(alarm.Severity, start, onDuty, _options.EscalateAfter, _options.VoiceCalls);
        var body = MessageParameters(alarm);
        _queue.Enqueue(steps.Select(s => (alarm.Id, s.Channel, "raised", s.Step, s.Person.Name, (string?)s.Person.Phone, body, s.DueMs)), now);
        _logger.LogInformation("Alarm {Id} at {Station} ({Town}): {Steps} escalation steps planned, first to {Name} {Phone}{Deferred}.",
            alarm.Id, alarm.Station, town, steps.Count, onDuty[0].Name, PhoneNumbers.Mask(onDuty[0].Phone), start > alarm.RaisedAt ? " after quiet hours" : "");
    }

    /// <summary>The template variables of the SMS and the call: ${station}, ${alarm}, ${level}, ${time} (Beijing), each kept short (providers cap a variable's length).</summary>
    public static string MessageParameters(AlarmView alarm)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        var time = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(alarm.RaisedAt), BeijingTime.Zone).ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);
        var level = alarm.Severity switch { AlarmSeverity.Critical => "紧急", AlarmSeverity.Major => "重要", _ => "一般" };
        return JsonSerializer.Serialize(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["station"] = Cut(alarm.StationName),
            ["alarm"] = Cut(alarm.Title),
            ["level"] = level,
            ["time"] = time,
        }, ParameterJson);
    }

    private static readonly JsonSerializerOptions ParameterJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Cut(string text) => text.Length > 20 ? text[..20] : text;
}
