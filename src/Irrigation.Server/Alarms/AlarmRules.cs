using System.Text.Json.Serialization;
using System.Globalization;
using Irrigation.Devices;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Alarms;

/// <summary>
/// A rule with its effective settings (see <see cref="AlarmRules.For"/> for the layers). With <see cref="RelativeTo"/>
/// set, <see cref="Threshold"/> and <see cref="ClearThreshold"/> are multiples of that quantity (of the same pump for a
/// pump rule), not values in the measured quantity's unit.
/// </summary>
public sealed record AlarmRule(string Id, AlarmSeverity Severity, double Threshold, double ClearThreshold, TimeSpan OnDelay, bool Enabled, bool PerPump, string Title, string TitleEn, string? RelativeTo = null);

/// <summary>
/// The built-in rules and their defaults. Threshold rules raise at <see cref="AlarmRule.Threshold"/> and clear only past
/// <see cref="AlarmRule.ClearThreshold"/> (hysteresis); every rule raises only after its condition held for
/// <see cref="AlarmRule.OnDelay"/>. Together they keep a noisy signal from flapping.
/// </summary>
public static class AlarmRules
{
    public const string CommsLost = "comms_lost";
    public const string GatewayOffline = "gateway_offline";
    public const string MainsLost = "mains_lost";
    public const string PhaseImbalance = "phase_imbalance";
    public const string OverCurrent = "over_current";
    public const string PumpFault = "pump_fault";
    public const string DryRunning = "dry_running";
    public const string LowSumpLevel = "low_sump_level";
    public const string FailedToStart = "failed_to_start";
    public const string FailedToStop = "failed_to_stop";
    public const string MeterFrozen = "meter_frozen";
    public const string UnexpectedRunning = "unexpected_running";
    public const string ForgedCommand = "forged_command";
    public const string PlanRunMissed = "plan_run_missed";

    private static readonly AlarmRule[] Defaults =
    [
        new(CommsLost, AlarmSeverity.Major, 1, 1, TimeSpan.FromSeconds(10), true, false, "通讯中断", "Station comms lost"),
        new(GatewayOffline, AlarmSeverity.Critical, 1, 1, TimeSpan.FromSeconds(30), true, false, "网关离线", "Gateway offline"),
        new(MainsLost, AlarmSeverity.Critical, 1, 1, TimeSpan.FromSeconds(5), true, false, "市电失电", "Mains power lost"),
        // Percent deviation of the worst phase voltage from the mean; a lost phase shows as a large imbalance.
        new(PhaseImbalance, AlarmSeverity.Major, 10, 6, TimeSpan.FromSeconds(10), true, false, "缺相/电压不平衡", "Phase loss / voltage imbalance"),
        new(OverCurrent, AlarmSeverity.Major, 40, 36, TimeSpan.FromSeconds(5), true, true, "过电流", "Over-current"),
        new(PumpFault, AlarmSeverity.Critical, 1, 1, TimeSpan.Zero, true, true, "水泵故障", "Pump fault"),
        // Running with the sump below Threshold metres (or with near-zero flow); clears above ClearThreshold.
        new(DryRunning, AlarmSeverity.Critical, 0.5, 0.7, TimeSpan.FromSeconds(5), true, true, "干转", "Dry running"),
        new(LowSumpLevel, AlarmSeverity.Minor, 0.8, 1.0, TimeSpan.FromSeconds(10), true, false, "前池低水位", "Low sump level"),
        new(FailedToStart, AlarmSeverity.Major, 1, 1, TimeSpan.Zero, true, true, "启动失败", "Pump failed to start"),
        new(FailedToStop, AlarmSeverity.Major, 1, 1, TimeSpan.Zero, true, true, "停止失败", "Pump failed to stop"),
        // Seconds the energy counter stood still while a pump ran.
        new(MeterFrozen, AlarmSeverity.Minor, 600, 600, TimeSpan.Zero, true, false, "电表读数冻结", "Meter frozen"),
        new(UnexpectedRunning, AlarmSeverity.Major, 1, 1, TimeSpan.FromSeconds(10), true, true, "非指令运行", "Unexpected running"),
        // A gateway refused a command the server never issued; active for Threshold seconds after the last one.
        new(ForgedCommand, AlarmSeverity.Critical, 600, 600, TimeSpan.Zero, true, false, "伪造命令", "Forged command"),
        // A scheduled run was not executed (missed or refused); active for Threshold seconds, or until a later scheduled start succeeds.
        new(PlanRunMissed, AlarmSeverity.Major, 43200, 43200, TimeSpan.Zero, true, false, "计划运行未执行", "Scheduled run not executed"),
    ];

    public static IReadOnlyList<string> Ids { get; } = Defaults.Select(d => d.Id).ToArray();

    public static IReadOnlyList<AlarmRule> All => Defaults;

    /// <summary>Rules whose thresholds may be given as multiples of another quantity (<see cref="AlarmRule.RelativeTo"/>).</summary>
    public static IReadOnlyList<string> RelativeRules { get; } = [OverCurrent];

    /// <summary>Why a RelativeTo setting is not allowed for the rule, or null when it is fine (or absent).</summary>
    public static string? RelativeToProblem(string id, string? relativeTo, double? threshold)
    {
        if (string.IsNullOrEmpty(relativeTo))
            return null;
        if (!RelativeRules.Contains(id))
            return $"RelativeTo is supported only by {string.Join(", ", RelativeRules)}";
        return threshold is > 0 ? null : "RelativeTo needs a positive Threshold (a multiple, e.g. 1.1)";
    }

    /// <summary>
    /// The rule for one station, each layer overriding the one before: the built-in default ← Alarms:Rules:{id} ← the
    /// "alarms" section of each of the station's device profiles (in the order the station lists its devices) ←
    /// Alarms:Profiles:{profile}:{id} ← Alarms:Stations:{station}:{id}.
    /// </summary>
    public static AlarmRule For(string id, string station, AlarmOptions options, IReadOnlyList<DeviceProfile>? profiles = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rule = Defaults.First(d => d.Id == id);
        rule = Apply(rule, options.Rules.GetValueOrDefault(id));
        foreach (var profile in profiles ?? [])
        {
            if (profile.Alarms.TryGetValue(id, out var fromFile))
                rule = Apply(rule, fromFile.Enabled, fromFile.Threshold, fromFile.ClearThreshold, fromFile.OnDelaySeconds is { } s ? TimeSpan.FromSeconds(s) : null, AlarmSeverities.Parse(fromFile.Severity), fromFile.RelativeTo);
            if (options.Profiles.TryGetValue(profile.Id, out var configured))
                rule = Apply(rule, configured.GetValueOrDefault(id));
        }

        if (options.Stations.TryGetValue(station, out var overrides))
            rule = Apply(rule, overrides.GetValueOrDefault(id));
        return rule;
    }

    private static AlarmRule Apply(AlarmRule rule, AlarmRuleOptions? o) =>
        o is null ? rule : Apply(rule, o.Enabled, o.Threshold, o.ClearThreshold, o.OnDelay, o.Severity, o.RelativeTo);

    /// <summary>
    /// A layer that gives a threshold (or a basis) states the basis too: a station's "Threshold": 45 means 45 A even
    /// where its pump profile made over-current relative to the rated current.
    /// </summary>
    private static AlarmRule Apply(AlarmRule rule, bool? enabled, double? threshold, double? clear, TimeSpan? onDelay, AlarmSeverity? severity, string? relativeTo) => rule with
    {
        Enabled = enabled ?? rule.Enabled,
        Threshold = threshold ?? rule.Threshold,
        ClearThreshold = clear ?? threshold ?? rule.ClearThreshold,
        OnDelay = onDelay ?? rule.OnDelay,
        Severity = severity ?? rule.Severity,
        RelativeTo = threshold is null && relativeTo is null ? rule.RelativeTo : string.IsNullOrEmpty(relativeTo) ? null : relativeTo,
    };


    public static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>How urgent an alarm is, most urgent first; sent and stored as "critical", "major", "minor".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AlarmSeverity>))]
public enum AlarmSeverity
{
    [JsonStringEnumMemberName("critical")]
    Critical,

    [JsonStringEnumMemberName("major")]
    Major,

    [JsonStringEnumMemberName("minor")]
    Minor,
}

public static class AlarmSeverities
{
    public static IReadOnlyList<AlarmSeverity> All { get; } = Enum.GetValues<AlarmSeverity>();

    public static string Text(this AlarmSeverity severity) => severity switch
    {
        AlarmSeverity.Critical => "critical",
        AlarmSeverity.Major => "major",
        _ => "minor",
    };

    /// <summary>"critical", "major" or "minor" (a device profile's or the database's text); null otherwise.</summary>
    public static AlarmSeverity? Parse(string? text) => text switch
    {
        "critical" => AlarmSeverity.Critical,
        "major" => AlarmSeverity.Major,
        "minor" => AlarmSeverity.Minor,
        _ => null,
    };
}
