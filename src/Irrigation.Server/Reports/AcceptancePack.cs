using System.Globalization;
using System.IO.Compression;
using System.Text;
using Irrigation.Contracts;
using Irrigation.Server.Alarms;
using Irrigation.Server.Audit;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Reports;

/// <summary>
/// What an acceptance reviewer (验收) reads, in one zip for a date range: the monthly reports of every town (XLSX and
/// PDF) and station (XLSX) for the months the range touches, a data completeness table per station over the range,
/// the command audit extract with the result of the audit chain's verification, the alarm ledger, and the Grafana
/// acceptance dashboard the figures can be checked against.
/// </summary>
public sealed class AcceptancePack
{
    /// <summary>The acceptance dashboard, compiled into the server from grafana/dashboards/acceptance.json.</summary>
    public const string DashboardResource = "Irrigation.Server.Reports.acceptance.json";

    /// <summary>Audit actions the command extract holds: commands, scheduled runs and plan changes, forged or refused ones included.</summary>
    private static readonly string[] CommandActions = ["command", "plan"];

    private readonly ReportBuilder _builder;
    private readonly AuditLog _audit;
    private readonly AlarmStore _alarms;
    private readonly ReportOptions _options;
    private readonly TimeProvider _time;

    public AcceptancePack(ReportBuilder builder, AuditLog audit, AlarmStore alarms, IOptions<ReportOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _builder = builder;
        _audit = audit;
        _alarms = alarms;
        _options = options.Value;
        _time = time;
    }

    /// <summary>The longest range a pack covers: a season's acceptance, with room; longer ranges are refused.</summary>
    public const int MaxDays = 400;

    public static string FileName(ReportPeriod range)
    {
        ArgumentNullException.ThrowIfNull(range);
        return $"acceptance-{range.Key}.zip";
    }

    public async Task<byte[]> CreateAsync(ReportPeriod range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        using var buffer = new MemoryStream();
        var contents = new List<string>();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                using var stream = entry.Open();
                stream.Write(bytes);
                contents.Add(name);
            }

            foreach (var month in range.Months())
            {
                foreach (var report in await _builder.AllAsync(month, cancellationToken))
                {
                    var stem = $"月报/{month.Key}/{ReportArchive.FileStem(report)}";
                    Add(stem + ".xlsx", ReportWorkbook.Create(report));
                    if (report.Scope == Report.TownScope)
                        Add(stem + ".pdf", ReportDocument.Create(report, _options.FontFile));
                }
            }

            Add("数据完整率.xlsx", await CompletenessAsync(range, cancellationToken));
            var verification = _audit.Verify();
            Add("命令审计.xlsx", CommandAudit(range));
            Add("审计链校验.txt", Encoding.UTF8.GetBytes(VerificationText(verification)));
            Add("告警台账.xlsx", AlarmLedger(range));
            Add("grafana/acceptance.json", Dashboard());
            Add("说明.txt", Encoding.UTF8.GetBytes(Readme(range, verification, contents)));
        }

        return buffer.ToArray();
    }

    /// <summary>Per station over the whole range: messages expected, stored and lost, completeness, online rate, commands.</summary>
    private async Task<byte[]> CompletenessAsync(ReportPeriod range, CancellationToken cancellationToken)
    {
        var rows = new List<object?[]>();
        foreach (var station in _builder.Stations())
        {
            var row = ReportRow.Of(station.Id, station.Name, await _builder.CellsAsync(station, range, cancellationToken), _builder.Tariffs);
            rows.Add([station.Id, station.Name, station.Site, row.MessagesExpected, row.MessagesStored, row.MessagesLost, row.CompletenessPercent, row.OnlinePercent,
                row.Commands, row.CommandSuccessPercent]);
        }

        return ReportWorkbook.Table("数据完整率", ["机埠编号", "机埠", "乡镇", "应收消息（条）", "实收消息（条）", "丢失消息（条）", "数据完整率（%）", "在线率（%）", "远程命令（次）", "命令成功率（%）"], rows);
    }

    private byte[] CommandAudit(ReportPeriod range) => ReportWorkbook.Table("命令审计", ["序号", "时间（北京时间）", "操作人", "动作", "机埠", "泵", "结果", "详情", "来源地址"],
        _audit.Between(range.FromMs, range.ToMs, CommandActions).Select(e => new object?[] { e.Id, Beijing(e.Ts), e.Actor, e.Action, e.Station, e.Pump, e.Outcome, e.Detail, e.Address }));

    private byte[] AlarmLedger(ReportPeriod range) => ReportWorkbook.Table("告警台账", ["编号", "机埠编号", "机埠", "告警类型", "规则", "级别", "内容", "产生时间", "确认时间", "确认人", "确认说明", "恢复时间", "状态"],
        _alarms.Raised(null, range.FromMs, range.ToMs).Select(a => new object?[]
        {
            a.Id, a.Station, a.StationName, a.Title, a.Rule, a.Severity.Text(), a.Message, Beijing(a.RaisedAt), Beijing(a.AcknowledgedAt), a.AcknowledgedBy, a.AckComment,
            Beijing(a.ClearedAt), a.State,
        }));

    public static string VerificationText(AuditVerification verification)
    {
        ArgumentNullException.ThrowIfNull(verification);
        if (verification.Intact)
            return $"审计链校验：通过（intact）。共 {verification.Chained} 条记录哈希链完整" + (verification.BeforeChain > 0 ? $"，另有 {verification.BeforeChain} 条为启用哈希链之前的记录。" : "。") + "\n";
        var bad = verification.FirstBad!;
        return $"审计链校验：不通过（broken）。第 {bad.Id} 条记录（{Beijing(bad.Ts)}，{bad.Action}）{verification.Reason}；此前 {verification.Chained} 条完整。\n";
    }

    private string Readme(ReportPeriod range, AuditVerification verification, IReadOnlyList<string> contents)
    {
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"验收资料包：{range.First:yyyy-MM-dd} 至 {range.Last:yyyy-MM-dd}（北京时间）\n")
            .Append(CultureInfo.InvariantCulture, $"制表单位：{_options.Organisation}    生成时间：{Beijing(_time.GetUtcNow().ToUnixTimeMilliseconds())}\n\n")
            .Append(VerificationText(verification)).Append('\n')
            .Append("内容：\n");
        foreach (var name in contents)
            text.Append("  ").Append(name).Append('\n');
        text.Append("\n月报按整月生成（范围涉及的每个月）；数据完整率、命令审计、告警台账按所选范围统计。\n")
            .Append("grafana/acceptance.json 为验收看板，可导入 Grafana 对照：数据完整率、在线率、命令成功率与报表按同一口径计算。\n");
        return text.ToString();
    }

    private static byte[] Dashboard()
    {
        using var stream = typeof(AcceptancePack).Assembly.GetManifestResourceStream(DashboardResource)
            ?? throw new InvalidOperationException($"The server was built without {DashboardResource}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string? Beijing(long? unixMs) => unixMs is { } ms
        ? TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ms), BeijingTime.Zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
        : null;
}
