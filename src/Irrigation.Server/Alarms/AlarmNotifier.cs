using Irrigation.Server.Observability;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Irrigation.Server.Configuration;

using Irrigation.Server.Storage;

namespace Irrigation.Server.Alarms;

/// <summary>One lifecycle event of an alarm to notify about.</summary>
public sealed record AlarmNotification(string Event, AlarmView Alarm);

/// <summary>
/// Sends alarm notifications to webhooks: a generic JSON body, or the group-robot formats of WeCom (企业微信) and
/// DingTalk (钉钉, optionally signed). Each delivery is retried with exponential back-off and every attempt is recorded.
/// A bounded queue keeps a dead webhook from holding memory (the oldest notifications go first, counted and logged).
/// </summary>
public sealed class AlarmNotifier : BackgroundService
{
    private static readonly TimeZoneInfo Beijing = TimeZoneInfo.CreateCustomTimeZone("Asia/Shanghai", TimeSpan.FromHours(8), "北京时间", "北京时间");
    private readonly AlarmOptions _options;
    private readonly AlarmStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<AlarmNotifier> _logger;
    private readonly HttpClient _http;
    private readonly Channel<AlarmNotification> _queue;
    private readonly SemaphoreSlim _parallel = new(4);
    private readonly Counter<long> _dropped;

    public AlarmNotifier(IOptions<AlarmOptions> options, AlarmStore store, IMeterFactory meters, TimeProvider time, ILogger<AlarmNotifier> logger)
    {
        _dropped = ServerMeters.Create(meters).CreateCounter<long>("irrigation_alarm_notifications_dropped", description: "Alarm notifications dropped because the webhook queue was full.");
        _dropped.Add(0);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _store = store;
        _time = time;
        _logger = logger;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        _queue = Channel.CreateBounded<AlarmNotification>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped =>
            {
                _dropped.Add(1);
                _logger.LogWarning("Alarm notification queue full: dropped the {Event} of alarm {Id}.", dropped.Event, dropped.Alarm.Id);
            });
    }


    public void Enqueue(string @event, AlarmView alarm)
    {
        if (_options.Webhooks.Count > 0)
            _queue.Writer.TryWrite(new AlarmNotification(@event, alarm));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        try
        {
            await foreach (var notification in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                foreach (var hook in _options.Webhooks.Where(h => h.Events.Contains(notification.Event)))
                {
                    await _parallel.WaitAsync(stoppingToken);
                    running.RemoveAll(t => t.IsCompleted);
                    running.Add(DeliverAsync(hook, notification, stoppingToken));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(running);
    }

    private async Task DeliverAsync(AlarmWebhookOptions hook, AlarmNotification notification, CancellationToken stoppingToken)
    {
        try
        {
            var shownUrl = new Uri(hook.Url).GetLeftPart(UriPartial.Path); // robot keys live in the query: never log them
            var delay = TimeSpan.FromSeconds(1);
            for (var attempt = 1; attempt <= _options.WebhookAttempts && !stoppingToken.IsCancellationRequested; attempt++)
            {
                int? status = null;
                string? error = null;
                try
                {
                    // A buffered body with Content-Length: robots and simple receivers do not all take a chunked request.
                    using var content = new StringContent(BodyJson(hook.Format, notification), Encoding.UTF8, "application/json");
                    using var response = await _http.PostAsync(Address(hook), content, stoppingToken);
                    status = (int)response.StatusCode;
                    var text = await response.Content.ReadAsStringAsync(stoppingToken);
                    error = response.IsSuccessStatusCode ? RobotError(hook.Format, text) : $"HTTP {status}: {Truncate(text)}";
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
                {
                    error = ex.Message;
                }

                var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                _store.RecordDelivery(notification.Alarm.Id, notification.Event, shownUrl, hook.Format, attempt, now, status, error is null ? "delivered" : "failed", error);
                if (error is null)
                    return;
                _logger.LogWarning("Alarm webhook {Url} ({Format}) attempt {Attempt}: {Error}", shownUrl, hook.Format, attempt, error);
                if (attempt < _options.WebhookAttempts)
                {
                    await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    delay = TimeSpan.FromSeconds(Math.Min(60, delay.TotalSeconds * 2));
                }
            }
        }
        finally
        {
            _parallel.Release();
        }
    }

    /// <summary>DingTalk signing: timestamp and sign = Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)) as query parameters.</summary>
    internal Uri Address(AlarmWebhookOptions hook)
    {
        if (hook.Format != "dingtalk" || string.IsNullOrEmpty(hook.Secret))
            return new Uri(hook.Url);
        var timestamp = _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var sign = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(hook.Secret), Encoding.UTF8.GetBytes(timestamp + "\n" + hook.Secret)));
        var separator = hook.Url.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        return new Uri($"{hook.Url}{separator}timestamp={timestamp}&sign={Uri.EscapeDataString(sign)}");
    }

    /// <summary>Robots answer HTTP 200 with {"errcode":…}; anything but 0 is a failed delivery.</summary>
    private static string? RobotError(string format, string text)
    {
        if (format == "json")
            return null;
        try
        {
            var code = JsonNode.Parse(text)?["errcode"]?.GetValue<int>();
            return code == 0 ? null : $"errcode {code?.ToString(CultureInfo.InvariantCulture) ?? "missing"}: {Truncate(text)}";
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return $"not a robot answer: {Truncate(text)}";
        }
    }

    private static string Truncate(string text) => text.Length > 200 ? text[..200] : text;

    /// <summary>camelCase as the API writes it; Chinese text as UTF-8, not \u escapes (the body never lands in HTML).</summary>
    private static readonly JsonSerializerOptions BodyOptions = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The request body as sent: camelCase names, so the <c>json</c> format's alarm reads as the API's does.</summary>
    public static string BodyJson(string format, AlarmNotification notification) =>
        JsonSerializer.Serialize(Body(format, notification), BodyOptions);

    private static object Body(string format, AlarmNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var markdown = Markdown(notification);
        return format switch
        {
            "wecom" => new { msgtype = "markdown", markdown = new { content = markdown } },
            "dingtalk" => new { msgtype = "markdown", markdown = new { title = Title(notification), text = markdown } },
            _ => new { @event = notification.Event, alarm = notification.Alarm },
        };
    }

    private static string Title(AlarmNotification n) => $"{EventText(n.Event)}：{n.Alarm.StationName} {n.Alarm.Title}";

    private static string EventText(string e) => e switch { "raised" => "告警", "acknowledged" => "已确认", "cleared" => "已恢复", _ => e };

    private static string SeverityText(AlarmSeverity s) => s switch { AlarmSeverity.Critical => "紧急", AlarmSeverity.Major => "重要", _ => "一般" };

    /// <summary>The robot message: Chinese, Beijing time, short enough for a phone notification.</summary>
    public static string Markdown(AlarmNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var a = notification.Alarm;
        var at = notification.Event switch { "cleared" => a.ClearedAt, "acknowledged" => a.AcknowledgedAt, _ => null } ?? a.RaisedAt;
        var time = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(at), Beijing).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"### 【{EventText(notification.Event)}】{a.Title}\n")
            .Append(CultureInfo.InvariantCulture, $"> 机埠：{a.StationName}（{a.Station}）\n")
            .Append(CultureInfo.InvariantCulture, $"> 级别：{SeverityText(a.Severity)}\n")
            .Append(CultureInfo.InvariantCulture, $"> 详情：{a.Message}\n")
            .Append(CultureInfo.InvariantCulture, $"> 时间：{time}（北京时间）\n");
        if (notification.Event == "acknowledged")
            text.Append(CultureInfo.InvariantCulture, $"> 确认人：{a.AcknowledgedBy}，{a.AckComment}\n");
        return text.ToString();
    }

    public override void Dispose()
    {
        _http.Dispose();
        _parallel.Dispose();
        base.Dispose();
    }
}
