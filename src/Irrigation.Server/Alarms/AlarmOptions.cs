using Irrigation.Server.Configuration;

namespace Irrigation.Server.Alarms;

/// <summary>Settings of one alarm rule; unset fields keep the built-in default.</summary>
public sealed class AlarmRuleOptions
{
    public bool? Enabled { get; set; }

    /// <summary>Raise at (or beyond) this value.</summary>
    public double? Threshold { get; set; }

    /// <summary>Clear only once the value is back past this (hysteresis).</summary>
    public double? ClearThreshold { get; set; }

    /// <summary>The condition must hold this long before the alarm is raised.</summary>
    public TimeSpan? OnDelay { get; set; }

    /// <summary>critical, major or minor.</summary>
    public AlarmSeverity? Severity { get; set; }

    /// <summary>
    /// The quantity the thresholds are multiples of (over_current: <c>rated_current</c>). A setting that gives a
    /// Threshold states its own basis: without RelativeTo it is in the quantity's unit (amps).
    /// </summary>
    public string? RelativeTo { get; set; }
}

/// <summary>A webhook that receives alarm notifications.</summary>
public sealed class AlarmWebhookOptions
{
    public string Url { get; set; } = "";

    /// <summary>json (generic), wecom (企业微信群机器人) or dingtalk (钉钉群机器人).</summary>
    public string Format { get; set; } = "json";

    /// <summary>DingTalk "加签" secret: the request is signed with HMAC-SHA256 of timestamp + "\n" + secret.</summary>
    public string? Secret { get; set; }

    /// <summary>Which lifecycle events to send: raised, acknowledged, cleared.</summary>
    public List<string> Events { get; set; } = ["raised", "cleared"];
}

public sealed class AlarmOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Alarms";

    public static readonly IReadOnlyList<string> Formats = ["json", "wecom", "dingtalk"];

    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rule settings by rule id (comms_lost, over_current, dry_running, …), overriding the built-in defaults.</summary>
    public Dictionary<string, AlarmRuleOptions> Rules { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per device profile: profile id → rule id → settings, over the profile file's own "alarms" defaults.</summary>
    public Dictionary<string, Dictionary<string, AlarmRuleOptions>> Profiles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per-station overrides: station id → rule id → settings; they beat everything else.</summary>
    public Dictionary<string, Dictionary<string, AlarmRuleOptions>> Stations { get; set; } = new(StringComparer.Ordinal);

    public List<AlarmWebhookOptions> Webhooks { get; set; } = new();

    /// <summary>Delivery attempts per notification (back-off 1 s, 2 s, 4 s, … up to 1 min between them).</summary>
    public int WebhookAttempts { get; set; } = 6;

    public void Validate()
    {
        if (EvaluationInterval < TimeSpan.FromMilliseconds(100) || EvaluationInterval > TimeSpan.FromMinutes(1))
            throw new ArgumentException("Irrigation:Alarms:EvaluationInterval must be 100 ms..1 min.");
        foreach (var (id, rule) in Rules.Concat(Profiles.SelectMany(s => s.Value)).Concat(Stations.SelectMany(s => s.Value)))
        {
            if (!AlarmRules.Ids.Contains(id))
                throw new ArgumentException($"Irrigation:Alarms: unknown rule '{id}' (known: {string.Join(", ", AlarmRules.Ids)}).");
            if (rule.OnDelay < TimeSpan.Zero)
                throw new ArgumentException($"Irrigation:Alarms: rule '{id}' OnDelay must not be negative.");
            if (AlarmRules.RelativeToProblem(id, rule.RelativeTo, rule.Threshold) is { } problem)
                throw new ArgumentException($"Irrigation:Alarms: rule '{id}': {problem}.");
        }

        foreach (var hook in Webhooks)
        {
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"Irrigation:Alarms:Webhooks: '{hook.Url}' is not an http(s) URL.");
            if (!Formats.Contains(hook.Format))
                throw new ArgumentException($"Irrigation:Alarms:Webhooks: format '{hook.Format}' must be one of {string.Join(", ", Formats)}.");
            if (hook.Events.Any(e => e is not ("raised" or "acknowledged" or "cleared")))
                throw new ArgumentException("Irrigation:Alarms:Webhooks: events are raised, acknowledged, cleared.");
        }

        if (WebhookAttempts is < 1 or > 20)
            throw new ArgumentException("Irrigation:Alarms:WebhookAttempts must be 1..20.");
    }
}
