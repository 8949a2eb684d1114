using System.Text.RegularExpressions;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Notifications;

/// <summary>A person on a duty roster: who, and the mobile number SMS and voice calls go to.</summary>
public sealed class DutyPersonOptions
{
    public string Name { get; set; } = "";

    /// <summary>A mainland mobile number, 11 digits (13800000000); shown masked (138****0000) in logs and the API.</summary>
    public string Phone { get; set; } = "";
}

/// <summary>A duty window in Beijing time, <c>HH:mm</c>; <see cref="To"/> before <see cref="From"/> crosses midnight (20:00–08:00).</summary>
public sealed class DutyWindowOptions
{
    public string From { get; set; } = "";

    public string To { get; set; } = "";

    /// <summary>Who is on duty in this window, in the order they are notified.</summary>
    public List<DutyPersonOptions> People { get; set; } = [];
}

/// <summary>The duty roster (值班表) of one town: a station's <c>Site</c> names its town.</summary>
public sealed class TownRosterOptions
{
    public string Town { get; set; } = "";

    /// <summary>The first window that contains the moment wins.</summary>
    public List<DutyWindowOptions> Windows { get; set; } = [];
}

/// <summary>Hours (Beijing time) in which SMS for non-critical alarms wait; critical ones go at once.</summary>
public sealed class QuietHoursOptions
{
    public string From { get; set; } = "";

    public string To { get; set; } = "";
}

/// <summary>Alibaba Cloud SMS (dysmsapi SendSms) and voice (dyvmsapi SingleCallByTts), RPC style, signature version 1.0.</summary>
public sealed class AliyunOptions
{
    public const string DefaultSmsEndpoint = "https://dysmsapi.aliyuncs.com/";
    public const string DefaultVoiceEndpoint = "https://dyvmsapi.aliyuncs.com/";

    public string AccessKeyId { get; set; } = "";

    /// <summary>Never logged, never shown by the API.</summary>
    public string AccessKeySecret { get; set; } = "";

    public string RegionId { get; set; } = "cn-hangzhou";

    public string SmsEndpoint { get; set; } = DefaultSmsEndpoint;

    public string VoiceEndpoint { get; set; } = DefaultVoiceEndpoint;

    /// <summary>The approved SMS signature (短信签名), e.g. 某某灌区.</summary>
    public string SignName { get; set; } = "";

    /// <summary>The approved SMS template (SMS_…) with variables ${station}, ${alarm}, ${level}, ${time}.</summary>
    public string SmsTemplateCode { get; set; } = "";

    /// <summary>The approved voice text-to-speech template (TTS_…) with the same variables; needed when voice calls are on.</summary>
    public string VoiceTtsCode { get; set; } = "";

    /// <summary>The number the called person sees (a number bought in the voice service); needed when voice calls are on.</summary>
    public string CalledShowNumber { get; set; } = "";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Tencent Cloud SMS (SendSms 2021-01-11, TC3-HMAC-SHA256), used when <see cref="NotificationOptions.SmsProvider"/> is <c>tencent</c>.</summary>
public sealed class TencentOptions
{
    public const string DefaultEndpoint = "https://sms.tencentcloudapi.com/";

    public string SecretId { get; set; } = "";

    /// <summary>Never logged, never shown by the API.</summary>
    public string SecretKey { get; set; } = "";

    public string Region { get; set; } = "ap-guangzhou";

    public string Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>The SMS application's SdkAppId (1400…).</summary>
    public string SmsSdkAppId { get; set; } = "";

    public string SignName { get; set; } = "";

    /// <summary>The approved template's id, with parameters {1} station, {2} alarm, {3} level, {4} time.</summary>
    public string TemplateId { get; set; } = "";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Alarm notifications that reach someone: duty rosters, escalation by SMS and voice, the durable queue (docs/notifications.md).</summary>
public sealed partial class NotificationOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Notifications";

    public AliyunOptions Aliyun { get; set; } = new();

    /// <summary>Who sends the SMS: <c>aliyun</c> (Alibaba Cloud) or <c>tencent</c> (Tencent Cloud). Voice calls always go through Alibaba Cloud.</summary>
    public string SmsProvider { get; set; } = "aliyun";

    public TencentOptions Tencent { get; set; } = new();

    public List<TownRosterOptions> Rosters { get; set; } = [];

    /// <summary>An unacknowledged alarm escalates after this long: to the next person on duty, then by voice.</summary>
    public TimeSpan EscalateAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Voice calls for a critical alarm still unacknowledged after the SMS steps (0: none), one per <see cref="EscalateAfter"/>.</summary>
    public int VoiceCalls { get; set; } = 3;

    public QuietHoursOptions? QuietHours { get; set; }

    /// <summary>Sends per notification before it is given up (each failed one waits <see cref="RetryDelay"/>, doubling, up to <see cref="MaxRetryDelay"/>).</summary>
    public int Attempts { get; set; } = 5;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the queue is looked at for notifications that are due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public bool SmsEnabled => Rosters.Count > 0;

    public void Validate()
    {
        const string s = "Irrigation:Notifications";
        if (EscalateAfter < TimeSpan.FromSeconds(1) || EscalateAfter > TimeSpan.FromHours(12))
            throw new ArgumentException($"{s}:EscalateAfter must be 1 s..12 h.");
        if (VoiceCalls is < 0 or > 10)
            throw new ArgumentException($"{s}:VoiceCalls must be 0..10.");
        if (Attempts is < 1 or > 20)
            throw new ArgumentException($"{s}:Attempts must be 1..20.");
        if (RetryDelay < TimeSpan.FromMilliseconds(100) || MaxRetryDelay < RetryDelay || MaxRetryDelay > TimeSpan.FromHours(1))
            throw new ArgumentException($"{s}:RetryDelay must be at least 100 ms and MaxRetryDelay between it and 1 h.");
        if (PollInterval < TimeSpan.FromMilliseconds(100) || PollInterval > TimeSpan.FromMinutes(1))
            throw new ArgumentException($"{s}:PollInterval must be 100 ms..1 min.");
        if (QuietHours is { } quiet)
        {
            ClockTime(quiet.From, $"{s}:QuietHours:From");
            ClockTime(quiet.To, $"{s}:QuietHours:To");
        }

        var towns = new HashSet<string>(StringComparer.Ordinal);
        for (var r = 0; r < Rosters.Count; r++)
        {
            var roster = Rosters[r];
            var key = $"{s}:Rosters:{r}";
            if (string.IsNullOrWhiteSpace(roster.Town))
                throw new ArgumentException($"{key}:Town is required (a station's site, e.g. 城东镇).");
            if (!towns.Add(roster.Town))
                throw new ArgumentException($"{key}: town {roster.Town} has a second roster; give it one roster with several windows.");
            if (roster.Windows.Count == 0)
                throw new ArgumentException($"{key} ({roster.Town}): no duty windows.");
            for (var w = 0; w < roster.Windows.Count; w++)
            {
                var window = roster.Windows[w];
                var wkey = $"{key}:Windows:{w}";
                ClockTime(window.From, $"{wkey}:From");
                ClockTime(window.To, $"{wkey}:To");
                if (window.People.Count == 0)
                    throw new ArgumentException($"{wkey} ({roster.Town} {window.From}–{window.To}): no one on duty.");
                for (var p = 0; p < window.People.Count; p++)
                {
                    var person = window.People[p];
                    if (string.IsNullOrWhiteSpace(person.Name))
                        throw new ArgumentException($"{wkey}:People:{p}:Name is required.");
                    if (!MobileNumber().IsMatch(person.Phone))
                        throw new ArgumentException($"{wkey}:People:{p}:Phone ({person.Name}) must be an 11-digit mainland mobile number, not '{PhoneNumbers.Mask(person.Phone)}'.");
                }
            }
        }

        if (SmsProvider is not ("aliyun" or "tencent"))
            throw new ArgumentException($"{s}:SmsProvider '{SmsProvider}' must be aliyun or tencent.");
        if (!SmsEnabled)
            return;
        var a = $"{s}:Aliyun";
        var aliyunNeeded = SmsProvider == "aliyun" || VoiceCalls > 0;
        if (aliyunNeeded && (string.IsNullOrWhiteSpace(Aliyun.AccessKeyId) || string.IsNullOrWhiteSpace(Aliyun.AccessKeySecret)))
            throw new ArgumentException($"{a}:AccessKeyId and {a}:AccessKeySecret are required when rosters are configured (SMS through aliyun, or voice calls).");
        if (SmsProvider == "aliyun" && (string.IsNullOrWhiteSpace(Aliyun.SignName) || string.IsNullOrWhiteSpace(Aliyun.SmsTemplateCode)))
            throw new ArgumentException($"{a}:SignName and {a}:SmsTemplateCode are required when rosters are configured.");
        if (VoiceCalls > 0 && (string.IsNullOrWhiteSpace(Aliyun.VoiceTtsCode) || string.IsNullOrWhiteSpace(Aliyun.CalledShowNumber)))
            throw new ArgumentException($"{a}:VoiceTtsCode and {a}:CalledShowNumber are required when VoiceCalls > 0 (or set VoiceCalls to 0).");
        if (SmsProvider == "tencent")
        {
            var t = $"{s}:Tencent";
            if (string.IsNullOrWhiteSpace(Tencent.SecretId) || string.IsNullOrWhiteSpace(Tencent.SecretKey))
                throw new ArgumentException($"{t}:SecretId and {t}:SecretKey are required with SmsProvider tencent.");
            if (string.IsNullOrWhiteSpace(Tencent.SmsSdkAppId) || string.IsNullOrWhiteSpace(Tencent.SignName) || string.IsNullOrWhiteSpace(Tencent.TemplateId))
                throw new ArgumentException($"{t}:SmsSdkAppId, {t}:SignName and {t}:TemplateId are required with SmsProvider tencent.");
            Url(Tencent.Endpoint, $"{t}:Endpoint");
            if (Tencent.Timeout < TimeSpan.FromSeconds(1) || Tencent.Timeout > TimeSpan.FromMinutes(1))
                throw new ArgumentException($"{t}:Timeout must be 1 s..1 min.");
        }

        Url(Aliyun.SmsEndpoint, $"{a}:SmsEndpoint");
        Url(Aliyun.VoiceEndpoint, $"{a}:VoiceEndpoint");
        if (Aliyun.Timeout < TimeSpan.FromSeconds(1) || Aliyun.Timeout > TimeSpan.FromMinutes(1))
            throw new ArgumentException($"{a}:Timeout must be 1 s..1 min.");
    }

    private static void Url(string url, string key)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"{key} '{url}' is not an http(s) URL.");
    }

    /// <summary>A time of day written <c>HH:mm</c> (24:00 is not one: a window to midnight ends at 00:00).</summary>
    public static TimeOnly ClockTime(string text, string key)
    {
        if (!TimeOnly.TryParseExact(text, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time))
            throw new ArgumentException($"{key} '{text}' is not a time of day HH:mm (Beijing time, e.g. 20:00).");
        return time;
    }

    [GeneratedRegex("^1[0-9]{10}$")]
    private static partial Regex MobileNumber();
}
