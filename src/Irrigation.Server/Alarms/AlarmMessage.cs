using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Irrigation.Server.Alarms;

/// <summary>
/// What an alarm says, as a code with parameters (<c>over_current</c>, pump 2, current 45.2): the web app translates
/// it into the reader's language (alarmMessage.{code} in src/Irrigation.Web/src/i18n). <see cref="Text"/> is the
/// Chinese rendering for the places without a translator: the stored <c>message</c>, webhooks to WeCom/DingTalk groups,
/// the Grafana annotation and the log.
/// </summary>
public sealed record AlarmMessage(string Code, IReadOnlyDictionary<string, string> Args)
{
    public static readonly AlarmMessage None = new("", new Dictionary<string, string>());

    /// <summary>zh-CN templates by code; <c>{name}</c> is a parameter. The web app's zh-CN.ts holds the same texts.</summary>
    public static IReadOnlyDictionary<string, string> ChineseTemplates { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["comms_lost"] = "现场设备无应答",
        ["gateway_offline"] = "网关 {gateway} 离线",
        ["mains_lost"] = "控制柜市电失电",
        ["phase_loss"] = "缺相：A {a} V，B {b} V，C {c} V",
        ["voltage_imbalance"] = "三相电压不平衡 {percent}%",
        ["low_sump_level"] = "前池水位 {level} m",
        ["pump_fault"] = "{pump}号泵故障",
        ["pump_fault_kinds"] = "{pump}号泵故障：{kinds}",
        ["over_current"] = "{pump}号泵电流 {current} A",
        ["over_current_rated"] = "{pump}号泵电流 {current} A，为额定 {rated} A 的 {percent}%",
        ["dry_running_level"] = "{pump}号泵运行但前池水位仅 {level} m",
        ["dry_running_flow"] = "{pump}号泵运行但出水流量接近零",
        ["failed_to_start"] = "{pump}号泵启动命令已执行，但运行反馈未出现",
        ["failed_to_stop"] = "{pump}号泵停止命令已执行，但仍在运行",
        ["unexpected_running"] = "{pump}号泵在远程模式下无启动命令而运行",
        ["meter_frozen"] = "水泵运行中，电能读数已 {minutes} 分钟未变化",
        ["forged_command"] = "网关 {gateway} 收到伪造或被篡改的启停命令，已拒绝执行",
        ["plan_run_missed"] = "计划「{plan}」{pump}号泵未执行：{reason}",
    };

    /// <summary>Why a scheduled run was not executed (<c>reason</c> of plan_run_missed: a gateway's reason code), in Chinese.</summary>
    public static IReadOnlyDictionary<string, string> ChineseRunReasons { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["clock_untrusted"] = "网关时钟不可信",
        ["operator_stopped"] = "操作员刚停过该泵（保持期内）",
        ["gateway_down"] = "计划时间网关未运行",
        ["already_running"] = "泵已在手动运行，计划不接管",
        ["busy"] = "命令队列已满",
        ["local_mode"] = "现场为就地模式",
        ["fault_latched"] = "泵故障锁定，需现场复位",
        ["no_mains"] = "市电停电",
        ["low_sump_level"] = "前池水位过低",
        ["comms_lost"] = "与现场设备通信中断",
        ["min_start_interval"] = "距上次启动时间太短",
        ["no_feedback"] = "无反馈",
        ["write_failed"] = "写入控制器失败",
        ["no_controller"] = "现场没有泵控制器",
        ["unknown_pump"] = "现场没有这台泵",
        ["bad_signature"] = "命令签名无效，网关拒绝执行",
        ["expired"] = "启动命令过期",
    };

    /// <summary>Trip kinds a pump controller reports (<c>kinds</c> of pump_fault_kinds, comma-separated), in Chinese.</summary>
    public static IReadOnlyDictionary<string, string> ChineseFaultKinds { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["fault_dry_run"] = "干转跳闸",
        ["fault_overcurrent"] = "过流跳闸",
        ["fault_phase_loss"] = "缺相跳闸",
    };

    public static AlarmMessage Of(string code, params (string Name, object Value)[] args)
    {
        if (!ChineseTemplates.ContainsKey(code))
            throw new ArgumentException($"unknown alarm message code '{code}'", nameof(code));
        return new AlarmMessage(code, args.ToDictionary(a => a.Name, a => a.Value switch
        {
            double d => AlarmRules.Format(d),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => a.Value.ToString() ?? "",
        }, StringComparer.Ordinal));
    }

    /// <summary>The Chinese text (empty for <see cref="None"/>).</summary>
    public string Text
    {
        get
        {
            if (!ChineseTemplates.TryGetValue(Code, out var template))
                return "";
            var text = new StringBuilder(template);
            foreach (var (name, value) in Args)
                text.Replace("{" + name + "}", name switch
                {
                    "kinds" => string.Join("、", value.Split(',').Select(k => ChineseFaultKinds.GetValueOrDefault(k, k))),
                    "reason" when Code == "plan_run_missed" => ChineseRunReasons.GetValueOrDefault(value, value),
                    _ => value,
                });
            return text.ToString();
        }
    }

    /// <summary>The parameters as stored (a JSON object of strings).</summary>
    public string ArgsJson => JsonSerializer.Serialize(Args);

    public static IReadOnlyDictionary<string, string> ParseArgs(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return new Dictionary<string, string>();
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? new Dictionary<string, string>();
        }
        catch (JsonException)
        {
            return new Dictionary<string, string>();
        }
    }
}
