using MiniExcelLibs;
using MiniExcelLibs.Attributes;
using MiniExcelLibs.OpenXml;

namespace Irrigation.Server.Reports;

/// <summary>
/// A report as an Excel workbook (MiniExcel): one sheet laid out as the PDF is (<see cref="ReportLayout"/>) — title,
/// heading, the tables with units in their headers and a 合计 row, alarms by kind, notes and the sign-off line —
/// with figures as numbers, so a reviewer can sum and chart them.
/// </summary>
public static class ReportWorkbook
{
    public const string SheetName = "报表";

    public static byte[] Create(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var tables = ReportLayout.Tables(report);
        var width = Math.Max(3, tables.Max(t => t.Columns.Count));
        var keys = Enumerable.Range(0, width).Select(Column).ToArray();
        var rows = new List<Dictionary<string, object?>>();
        void Add(params object?[] values)
        {
            var row = keys.ToDictionary(k => k, _ => (object?)null, StringComparer.Ordinal);
            for (var i = 0; i < values.Length && i < width; i++)
                row[keys[i]] = values[i];
            rows.Add(row);
        }

        Add(report.Title);
        foreach (var line in ReportLayout.Heading(report))
            Add(line);
        foreach (var table in tables)
        {
            Add();
            Add(table.Title);
            Add(table.Columns.Select(c => (object?)(c.Unit.Length > 0 ? $"{c.Header}（{c.Unit}）" : c.Header)).ToArray());
            foreach (var row in report.Rows.Append(report.Total))
                Add(table.Columns.Select(c => c.Value(row)).ToArray());
        }

        Add();
        Add(ReportLayout.AlarmsTitle);
        Add("告警类型", "规则", "次数（次）");
        foreach (var kind in report.AlarmsByKind)
            Add(kind.Title, kind.Rule, kind.Count);
        Add("合计", null, report.AlarmsByKind.Sum(k => k.Count));
        Add();
        foreach (var note in ReportLayout.Notes(report))
            Add(note);
        Add();
        Add(ReportLayout.SignatureLine);

        var configuration = new OpenXmlConfiguration
        {
            TableStyles = TableStyles.None,
            AutoFilter = false,
            DynamicColumns = keys.Select((k, i) => new DynamicExcelColumn(k) { Width = i == 0 ? 22 : 13 }).ToArray(),
        };
        using var stream = new MemoryStream();
        stream.SaveAs(rows, printHeader: false, sheetName: SheetName, excelType: ExcelType.XLSX, configuration: configuration);
        return stream.ToArray();
    }

    /// <summary>A plain table on one sheet: a header row, then one row per record (the acceptance pack's ledgers).</summary>
    public static byte[] Table(string sheetName, IReadOnlyList<string> headers, IEnumerable<object?[]> records)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(records);
        var keys = Enumerable.Range(0, headers.Count).Select(Column).ToArray();
        var rows = new List<Dictionary<string, object?>> { keys.Select((k, i) => (k, (object?)headers[i])).ToDictionary(p => p.k, p => p.Item2, StringComparer.Ordinal) };
        foreach (var record in records)
            rows.Add(keys.Select((k, i) => (k, i < record.Length ? record[i] : null)).ToDictionary(p => p.k, p => p.Item2, StringComparer.Ordinal));
        var configuration = new OpenXmlConfiguration
        {
            TableStyles = TableStyles.None,
            AutoFilter = false,
            DynamicColumns = keys.Select(k => new DynamicExcelColumn(k) { Width = 18 }).ToArray(),
        };
        using var stream = new MemoryStream();
        stream.SaveAs(rows, printHeader: false, sheetName: sheetName, excelType: ExcelType.XLSX, configuration: configuration);
        return stream.ToArray();
    }

    private static string Column(int index) => ((char)('A' + index)).ToString();
}
