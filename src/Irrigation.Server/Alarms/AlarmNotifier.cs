using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Irrigation.Server.Alarms;

/// <summary>One lifecycle event of an alarm to notify about.</summary>
public sealed record AlarmNotification(string Event, AlarmView Alarm);

/// <summary>
/// Formats and sends alarm notifications to one webhook: a generic JSON body, or the group-robot formats of WeCom
/// (企业微信) and DingTalk (钉钉, optionally signed). One call is one attempt; the durable notification queue
/// (<c>Notifications</c>) holds what is still to be sent, retries with back-off and records every attempt.
/// </summary>
public sealed class AlarmNotifier : IDisposable
{
    private readonly TimeProvider _time;
    private readonly HttpClient _http;

    public AlarmNotifier(TimeProvider time)
    {
        _time = time;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The webhook's address as it may be shown and stored: cut before the query, where robot keys live.</summary>
    public static string ShownUrl(AlarmWebhookOptions hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return new Uri(hook.Url).GetLeftPart(UriPartial.Path);
    }

    /// <summary>One delivery attempt of a body made by <see cref="BodyJson"/>; the error is null when the webhook took it.</summary>
    public async Task<(int? HttpStatus, string? Error)> SendAsync(AlarmWebhookOptions hook, string bodyJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hook);
        try
        {
            // A buffered body with Content-Length: robots and simple receivers do not all take a chunked request.
            using var content = new StringContent(bodyJson, Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync(Address(hook), content, cancellationToken);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return (status, response.IsSuccessStatusCode ? RobotError(hook.Format, text) : $"HTTP {status}: {Truncate(text)}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, ex.Message);
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
        var time = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(at), Irrigation.Contracts.BeijingTime.Zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
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

    public void Dispose() => _http.Dispose();
}
