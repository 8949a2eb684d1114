namespace Irrigation.Server.Configuration;

/// <summary>Server settings (appsettings.json section "Irrigation"), validated at start-up.</summary>
public sealed class ServerOptions
{
    public const string Section = "Irrigation";

    public string TopicRoot { get; set; } = "irrigation";

    /// <summary>Gateway configuration files whose stations are accepted; empty = accept every station.</summary>
    public List<string> StationFiles { get; set; } = new();

    public string DataDirectory { get; set; } = "data";

    public ServerMqttOptions Mqtt { get; set; } = new();

    public ServerInfluxOptions Influx { get; set; } = new();

    public IngestOptions Ingest { get; set; } = new();

    /// <summary>Device profiles (labels and units of quantities for the API); missing directory = keys only.</summary>
    public string ProfilesDirectory { get; set; } = "profiles";

    public AuthOptions Auth { get; set; } = new();

    public CommandOptions Commands { get; set; } = new();

    public ApiOptions Api { get; set; } = new();

    public AccountingOptions Accounting { get; set; } = new();

    public AlarmOptions Alarms { get; set; } = new();

    public void Validate()
    {
        Auth.Validate();
        Commands.Validate();
        Accounting.Validate();
        Alarms.Validate();
        if (Api.StaleAfter < TimeSpan.FromSeconds(5))
            throw new ArgumentException("Irrigation:Api:StaleAfter must be at least 5 s.");
        if (Api.AvailabilityInterval < TimeSpan.FromSeconds(1) || Api.AvailabilityInterval > TimeSpan.FromHours(1))
            throw new ArgumentException("Irrigation:Api:AvailabilityInterval must be 1 s..1 h.");
        if (string.IsNullOrWhiteSpace(TopicRoot) || TopicRoot.IndexOfAny(['/', '+', '#']) >= 0)
            throw new ArgumentException($"Irrigation:TopicRoot '{TopicRoot}' must be a single topic level.");
        foreach (var file in StationFiles)
        {
            if (!File.Exists(file))
                throw new ArgumentException($"Irrigation:StationFiles: '{file}' does not exist.");
        }

        if (Mqtt.Port is < 1 or > 65535)
            throw new ArgumentException($"Irrigation:Mqtt:Port {Mqtt.Port} is outside 1..65535.");
        if (Mqtt.InboundCapacity is < 1 or > 1_000_000)
            throw new ArgumentException($"Irrigation:Mqtt:InboundCapacity must be 1..1000000, was {Mqtt.InboundCapacity}.");
        if (Mqtt.ReceiveMaximum is < 1 or > 65535)
            throw new ArgumentException($"Irrigation:Mqtt:ReceiveMaximum must be 1..65535, was {Mqtt.ReceiveMaximum}.");
        if (Mqtt.Protocol is not ("5" or "3.1.1"))
            throw new ArgumentException($"Irrigation:Mqtt:Protocol must be \"5\" or \"3.1.1\", was \"{Mqtt.Protocol}\".");
        if (Mqtt.SharedGroup.Length > 0 && (Mqtt.SharedGroup.Trim().Length == 0 || Mqtt.SharedGroup.IndexOfAny(['/', '+', '#']) >= 0))
            throw new ArgumentException("Irrigation:Mqtt:SharedGroup must be empty (one instance) or a single topic level.");
        if (!Uri.TryCreate(Influx.Url, UriKind.Absolute, out _))
            throw new ArgumentException($"Irrigation:Influx:Url '{Influx.Url}' is not an absolute URL.");
        if (string.IsNullOrWhiteSpace(Influx.Database))
            throw new ArgumentException("Irrigation:Influx:Database is required.");
        if (Ingest.BatchPoints is < 1 or > 100_000)
            throw new ArgumentException($"Irrigation:Ingest:BatchPoints must be 1..100000, was {Ingest.BatchPoints}.");
        if (Ingest.FlushInterval < TimeSpan.FromMilliseconds(10) || Ingest.FlushInterval > TimeSpan.FromMinutes(1))
            throw new ArgumentException("Irrigation:Ingest:FlushInterval must be 10 ms..1 min.");
        if (Ingest.SpoolMaxBytes < 1024 * 1024)
            throw new ArgumentException("Irrigation:Ingest:SpoolMaxBytes must be at least 1 MiB.");
        if (Ingest.WriteAttemptTimeout <= TimeSpan.Zero)
            throw new ArgumentException("Irrigation:Ingest:WriteAttemptTimeout must be positive.");
    }
}

/// <summary>Daily energy and water accounting (docs/accounting.md).</summary>
public sealed class AccountingOptions
{
    public const double DefaultWaterPerKwhValue = 20;

    /// <summary>How often the recent days are recomputed (also once at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Beijing days recomputed on each pass: 2 = today and yesterday.</summary>
    public int Days { get; set; } = 2;

    /// <summary>Beijing days recomputed by the first pass after start (picks up data replayed while the server was down).</summary>
    public int DaysOnStart { get; set; } = 7;

    /// <summary>A counter that falls to at most this fraction of its previous reading was reset (counts from zero); a smaller fall is a replaced meter.</summary>
    public double ResetRatio { get; set; } = 0.1;

    /// <summary>How far back the last reading before a day is looked for (the baseline of its first step).</summary>
    public TimeSpan BaselineLookback { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A pump's running state holds from one reading to the next for at most this long (snapshots come every minute).</summary>
    public TimeSpan RunningHold { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>以电折水 coefficient (m³ per kWh) of a station without a calibrated one; a placeholder until a flow test.</summary>
    public double DefaultWaterPerKwh { get; set; } = DefaultWaterPerKwhValue;

    /// <summary>Calibrated 以电折水 coefficients by station id (m³ per kWh, from the station's flow test).</summary>
    public Dictionary<string, double> WaterPerKwh { get; set; } = new(StringComparer.Ordinal);

    public double CoefficientOf(string station) => WaterPerKwh.TryGetValue(station, out var c) ? c : DefaultWaterPerKwh;

    public void Validate()
    {
        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
            throw new ArgumentException("Irrigation:Accounting:Interval must be 1 s..1 day.");
        if (Days is < 1 or > 400 || DaysOnStart is < 1 or > 400)
            throw new ArgumentException("Irrigation:Accounting:Days and DaysOnStart must be 1..400.");
        if (ResetRatio is <= 0 or >= 1 || double.IsNaN(ResetRatio))
            throw new ArgumentException("Irrigation:Accounting:ResetRatio must be between 0 and 1 (exclusive).");
        if (BaselineLookback < TimeSpan.FromHours(1))
            throw new ArgumentException("Irrigation:Accounting:BaselineLookback must be at least 1 h.");
        if (RunningHold < TimeSpan.FromSeconds(1))
            throw new ArgumentException("Irrigation:Accounting:RunningHold must be at least 1 s.");
        foreach (var (station, coefficient) in WaterPerKwh.Append(new("(default)", DefaultWaterPerKwh)))
        {
            if (!double.IsFinite(coefficient) || coefficient < 0)
                throw new ArgumentException($"Irrigation:Accounting:WaterPerKwh of {station} must be a finite number ≥ 0 (m³/kWh).");
        }
    }
}

public sealed class ServerMqttOptions
{
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 1883;

    /// <summary>
    /// Each server instance needs its own id, stable across restarts (default irrigation-server-{machine}): the broker
    /// keeps the persistent session and its share of the telemetry for that id, and hands it back after a restart.
    /// A new id per start would leave old sessions in the shared group, each taking its share of messages.
    /// </summary>
    public string? ClientId { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>
    /// Shared subscription group for several server instances that split the telemetry stream
    /// (<c>$share/{group}/…</c>); empty (the default) subscribes plainly, for one instance. Mosquitto 2.0.11
    /// (Debian 12) does not restore shared subscriptions from its persistence file, so after a broker restart
    /// every message published before the instances resubscribe is lost to them (a gateway's outage replay
    /// comes exactly then); a plain subscription of a persistent session is restored and its messages queued.
    /// </summary>
    public string SharedGroup { get; set; } = "";

    /// <summary>
    /// Messages held between the socket and the ingest loop; while more than half of it is used the socket is not read
    /// (back-pressure to the broker).
    /// </summary>
    public int InboundCapacity { get; set; } = 10_000;

    /// <summary>"5" (the default) or "3.1.1".</summary>
    public string Protocol { get; set; } = "5";

    /// <summary>MQTT 5 Receive Maximum: QoS 1 messages the broker may send before our PUBACKs (1..65535).</summary>
    public int ReceiveMaximum { get; set; } = 65535;
}

public sealed class ServerInfluxOptions
{
    public string Url { get; set; } = "http://127.0.0.1:8086";

    public string Database { get; set; } = "irrigation";

    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? Token { get; set; }

    public bool Gzip { get; set; } = true;

    /// <summary>Raw data retention (the database's default policy "raw").</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Create the database, retention policies and continuous queries at start-up when missing.</summary>
    public bool CreateSchema { get; set; } = true;
}

public sealed class IngestOptions
{
    /// <summary>Points per InfluxDB write.</summary>
    public int BatchPoints { get; set; } = 5000;

    /// <summary>A partial batch is written after this long.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long one write may take before the batch goes to the spool instead.</summary>
    public TimeSpan WriteAttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public long SpoolMaxBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// A batch is also handed on once its line protocol reaches this size, so that one batch always fits the spool
    /// (a quarter of it) and a spool record (16 MiB at most) whatever BatchPoints says; one message adds at most
    /// about twice its 64 KiB payload.
    /// </summary>
    internal long MaxBatchBytes => Math.Min(8L * 1024 * 1024, SpoolMaxBytes / 4);

    /// <summary>Spool segment size: an eighth of the budget, 64 KiB..16 MiB.</summary>
    internal int SpoolSegmentBytes => (int)Math.Clamp(SpoolMaxBytes / 8, 64 * 1024, 16 * 1024 * 1024);
}

/// <summary>A user created at start-up when no user of that name exists (first admin, demo users).</summary>
public sealed class BootstrapUser
{
    public string Username { get; set; } = "";

    public string? DisplayName { get; set; }

    public string Password { get; set; } = "";

    public string Role { get; set; } = "";
}

public sealed class AuthOptions
{
    /// <summary>Users created at the first start (never overwritten later). No user exists otherwise: there is no default password.</summary>
    public List<BootstrapUser> Users { get; set; } = new();

    /// <summary>PBKDF2-SHA256 iterations for new password hashes (stored with each hash, so raising it is safe).</summary>
    public int PasswordIterations { get; set; } = 310_000;

    public int MinPasswordLength { get; set; } = 10;

    /// <summary>Cookie session lifetime, sliding.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Failed sign-ins within <see cref="LockoutWindow"/> that lock the account.</summary>
    public int LockoutFailures { get; set; } = 5;

    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in attempts per client address per minute.</summary>
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>Send cookies only over HTTPS. Off by default because the stack listens on loopback HTTP; turn on behind TLS.</summary>
    public bool SecureCookies { get; set; }

    public void Validate()
    {
        if (PasswordIterations < 10_000)
            throw new ArgumentException("Irrigation:Auth:PasswordIterations must be at least 10000.");
        if (MinPasswordLength < 8)
            throw new ArgumentException("Irrigation:Auth:MinPasswordLength must be at least 8.");
        if (SessionLifetime < TimeSpan.FromMinutes(5) || TokenLifetime < TimeSpan.FromMinutes(5))
            throw new ArgumentException("Irrigation:Auth:SessionLifetime and TokenLifetime must be at least 5 minutes.");
        if (LockoutFailures < 1 || LockoutWindow <= TimeSpan.Zero || LockoutDuration <= TimeSpan.Zero)
            throw new ArgumentException("Irrigation:Auth:LockoutFailures, LockoutWindow and LockoutDuration must be positive.");
        if (SignInAttemptsPerMinute < 1)
            throw new ArgumentException("Irrigation:Auth:SignInAttemptsPerMinute must be positive.");
        foreach (var user in Users)
        {
            if (string.IsNullOrWhiteSpace(user.Username) || !Accounts.Roles.IsValid(user.Role))
                throw new ArgumentException($"Irrigation:Auth:Users: '{user.Username}' needs a user name and a role ({string.Join(", ", Accounts.Roles.All)}).");
            if (user.Password.Length < MinPasswordLength)
                throw new ArgumentException($"Irrigation:Auth:Users: the password of '{user.Username}' is shorter than {MinPasswordLength} characters.");
        }
    }
}

public sealed class CommandOptions
{
    /// <summary>How long a pump command may wait before it is acted on; the gateway refuses it after that (expired).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After expiry, how long to wait for the gateway's result before the command is timed out.</summary>
    public TimeSpan ResultGrace { get; set; } = TimeSpan.FromSeconds(15);

    public void Validate()
    {
        if (Lifetime < TimeSpan.FromSeconds(2) || Lifetime > TimeSpan.FromMinutes(10))
            throw new ArgumentException("Irrigation:Commands:Lifetime must be 2 s..10 min.");
        if (ResultGrace < TimeSpan.FromSeconds(1) || ResultGrace > TimeSpan.FromMinutes(10))
            throw new ArgumentException("Irrigation:Commands:ResultGrace must be 1 s..10 min.");
    }
}

public sealed class ApiOptions
{
    /// <summary>A station with no telemetry for this long is shown stale and counts as not online (snapshots come every minute).</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How often each station's online/stale state is sampled into InfluxDB (station_status) for the online rate.</summary>
    public TimeSpan AvailabilityInterval { get; set; } = TimeSpan.FromSeconds(60);
}

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
    public string? Severity { get; set; }

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

public sealed class AlarmOptions
{
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
            if (!Alarms.AlarmRules.Ids.Contains(id))
                throw new ArgumentException($"Irrigation:Alarms: unknown rule '{id}' (known: {string.Join(", ", Alarms.AlarmRules.Ids)}).");
            if (rule.Severity is not (null or "critical" or "major" or "minor"))
                throw new ArgumentException($"Irrigation:Alarms: rule '{id}' severity must be critical, major or minor.");
            if (rule.OnDelay < TimeSpan.Zero)
                throw new ArgumentException($"Irrigation:Alarms: rule '{id}' OnDelay must not be negative.");
            if (Alarms.AlarmRules.RelativeToProblem(id, rule.RelativeTo, rule.Threshold) is { } problem)
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
