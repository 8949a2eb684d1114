using System.Globalization;
using Irrigation.Contracts;
using Irrigation.Server.Tariffs;

namespace Irrigation.Server.Reports;

/// <summary>One column of a report table: Chinese header, unit, how a row fills it and with how many decimals.</summary>
public sealed record ReportColumn(string Header, string Unit, Func<ReportRow, object?> Value, int Decimals = 0);

/// <summary>One table of a report.</summary>
public sealed record ReportTable(string Title, IReadOnlyList<ReportColumn> Columns);

/// <summary>
/// How a report is laid out on paper, shared by the XLSX and the PDF so both show the same tables, headers, units and
/// notes: the heading lines, two tables with a totals row (running and energy; data and operations) and the alarms by kind.
/// </summary>
public static class ReportLayout
{
    private static readonly Dictionary<string, string> TariffNames = new(StringComparer.Ordinal)
    {
        [TariffKinds.Sharp] = "尖峰电量",
        [TariffKinds.Peak] = "高峰电量",
        [TariffKinds.Flat] = "平段电量",
        [TariffKinds.Valley] = "低谷电量",
    };

    public static IReadOnlyList<ReportTable> Tables(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var first = new ReportColumn(report.Scope == Report.StationScope ? "日期" : "机埠", "", r => r.Label);
        var energy = new List<ReportColumn>
        {
            first,
            new("运行时长", "h", r => r.RunHours, 2),
            new("启动次数", "次", r => r.Starts),
            new("用电量", "kWh", r => r.Kwh, 2),
            new("折算水量", "m³", r => r.WaterM3, 2),
            new("折水系数", "m³/kWh", r => r.WaterPerKwh, 3),
            new("系数来源", "", r => SourceText(r.CoefficientSource)),
        };
        energy.AddRange(TariffKinds.All.Select(k => new ReportColumn(TariffNames[k], "kWh", r => r.KwhByTariff.GetValueOrDefault(k), 2)));
        energy.Add(new ReportColumn("电费", "元", r => r.Cost, 2));
        var operations = new List<ReportColumn>
        {
            first,
            new("应收消息", "条", r => r.MessagesExpected),
            new("实收消息", "条", r => r.MessagesStored),
            new("丢失消息", "条", r => r.MessagesLost),
            new("数据完整率", "%", r => r.CompletenessPercent, 2),
            new("在线率", "%", r => r.OnlinePercent, 2),
            new("告警", "次", r => r.Alarms),
            new("确认中位", "min", r => r.AckMedianMinutes, 1),
            new("确认最长", "min", r => r.AckWorstMinutes, 1),
            new("恢复中位", "min", r => r.ClearMedianMinutes, 1),
            new("恢复最长", "min", r => r.ClearWorstMinutes, 1),
            new("远程命令", "次", r => r.Commands),
            new("命令成功率", "%", r => r.CommandSuccessPercent, 2),
            new("反馈中位", "s", r => r.CommandMedianSeconds, 1),
            new("反馈P95", "s", r => r.CommandP95Seconds, 1),
            new("计划执行", "次", r => r.RunsExecuted),
            new("计划未执行", "次", r => r.RunsMissed),
        };
        return [new ReportTable("一、运行与能耗", energy), new ReportTable("二、数据与运维", operations)];
    }

    public const string AlarmsTitle = "三、告警分类";

    public static string SourceText(string source) => source switch
    {
        ReportRow.Calibrated => "标定",
        ReportRow.Mixed => "标定/默认",
        _ => "默认",
    };

    /// <summary>The lines under the title: what, where, when, who made the table and when.</summary>
    public static IReadOnlyList<string> Heading(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var subject = report.Scope == Report.StationScope
            ? $"机埠：{report.SubjectName}（{report.Subject}）    乡镇：{(report.Town.Length > 0 ? report.Town : "—")}"
            : $"乡镇：{report.Town}";
        return
        [
            $"{subject}    统计期间：{report.PeriodLabel}（{report.From} 至 {report.To}，北京时间）",
            $"制表单位：{report.Organisation}    制表日期：{BeijingTime.DateOf(report.GeneratedAt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
        ];
    }

    /// <summary>How the figures were made, printed under the tables.</summary>
    public static IReadOnlyList<string> Notes(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var prices = string.Join("，", TariffKinds.All.Select(k => $"{TariffNames[k][..2]} {report.Prices[k].ToString("0.####", CultureInfo.InvariantCulture)}"));
        return
        [
            "说明：",
            "1. 水量按以电折水计算：水量 = 用电量 × 折水系数；系数来源“标定”为现场率定值，“默认”为配置默认值。",
            $"2. 电费按分时电价估算（{report.TariffName}；元/kWh：{prices}），各时段电量按电表读数每 15 分钟的增量分摊。",
            "3. 数据完整率 = 实收消息 ÷（实收消息 + 确认丢失消息），补传后统计；在线率 = 在线采样占比；命令成功率 = 成功 ÷ 全部远程命令。",
            "4. 确认、恢复用时（中位数、最长）自告警产生起计；反馈用时（中位数、第 95 百分位）为远程命令下达至收到运行反馈确认的时间。",
        ];
    }

    public const string SignatureLine = "制表人：____________    审核人：____________    日期：____________";

    /// <summary>A value as the PDF prints it: fixed decimals, empty for none.</summary>
    public static string Text(object? value, int decimals) => value switch
    {
        null => "",
        double d => d.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        string s => s,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
