using Irrigation.Server.Reports;
using Irrigation.Server.Tariffs;
using Microsoft.Extensions.Options;
using MiniExcelLibs;

namespace Irrigation.Server.Tests.Reports;

/// <summary>How report figures are aggregated, and that the XLSX and PDF carry them (read back with MiniExcel and pdftotext).</summary>
public sealed class ReportFigureTests
{
    private static readonly TariffBook Tariffs = new(Options.Create(new TariffOptions()));
    private const string FontFile = "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf";

    private static ReportCell Cell(string station, int day, double kwh, bool calibrated = false)
    {
        var cell = new ReportCell { Station = station, Date = new DateOnly(2026, 11, day), WaterPerKwh = calibrated ? 2.5 : 3.0, Calibrated = calibrated, Kwh = kwh, WaterM3 = kwh * (calibrated ? 2.5 : 3.0), RunHours = kwh / 10, Starts = 1 };
        cell.KwhByTariff[TariffKinds.Valley] = kwh * 0.75;
        cell.KwhByTariff[TariffKinds.Peak] = kwh * 0.25;
        return cell;
    }

    [Theory]
    [InlineData("2026-11", "month", "2026-11-01", "2026-11-30", "2026年11月", "月报")]
    [InlineData("2024-02", "month", "2024-02-01", "2024-02-29", "2024年2月", "月报")]
    [InlineData("2026-11-03", "day", "2026-11-03", "2026-11-03", "2026年11月3日", "日报")]
    public void Period_Parsed_BeijingDaysAndLabels(string text, string kind, string first, string last, string label, string name)
    {
        Assert.True(ReportPeriod.TryParse(text, out var period));
        Assert.Equal((kind, first, last, label, name, text), (period.Kind, period.First.ToString("yyyy-MM-dd"), period.Last.ToString("yyyy-MM-dd"), period.Label, period.Name, period.Key));
        // Beijing midnight is 16:00 UTC the day before.
        Assert.Equal(DateTimeOffset.Parse(first + "T00:00:00+08:00").ToUnixTimeMilliseconds(), period.FromMs);
        Assert.Equal(DateTimeOffset.Parse(last + "T00:00:00+08:00").AddDays(1).ToUnixTimeMilliseconds(), period.ToMs);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("2026-13")]
    [InlineData("2026-11-31")]
    [InlineData("26-11")]
    [InlineData("1999-01")]
    [InlineData("2026-11-03T00:00")]
    public void Period_Malformed_Refused(string? text) => Assert.False(ReportPeriod.TryParse(text, out _));

    [Fact]
    public void Percentile_NearestRank_AsInfluxQlTakesIt()
    {
        double[] samples = [4, 1, 3, 2, 10];
        Assert.Equal(3, ReportRow.Percentile(samples, 50));
        Assert.Equal(10, ReportRow.Percentile(samples, 95));
        Assert.Equal(2, ReportRow.Percentile([1, 2, 3, 4], 50));
        Assert.Null(ReportRow.Percentile([], 50));
    }

    [Fact]
    public void Row_FromCells_SumsAddRatiosFromTotalsMediansFromPooledSamples()
    {
        var a = Cell("st001", 1, 100, calibrated: true);
        a.MessagesStored = 990;
        a.MessagesLost = 10;
        a.OnlineSum = 9;
        a.OnlineSamples = 10;
        a.Alarms.Add(("mains_lost", "失电", 2, 30));
        a.Alarms.Add(("comms_lost", "通信中断", null, 5));
        a.Commands.Add(("succeeded", 4_000));
        a.Commands.Add(("failed", 30_000));
        a.RunsExecuted = 2;
        var b = Cell("st001", 2, 50, calibrated: true);
        b.MessagesStored = 1000;
        b.OnlineSum = 30;
        b.OnlineSamples = 30;
        b.Alarms.Add(("mains_lost", "失电", 10, 60));
        b.Commands.Add(("succeeded", 2_000));
        b.Commands.Add(("succeeded", 6_000));
        b.RunsMissed = 1;

        var row = ReportRow.Of("total", "合计", [a, b], Tariffs);

        Assert.Equal(150, row.Kwh);
        Assert.Equal(375, row.WaterM3);
        Assert.Equal(2.5, row.WaterPerKwh);
        Assert.Equal(ReportRow.Calibrated, row.CoefficientSource);
        Assert.Equal(15, row.RunHours);
        Assert.Equal(2, row.Starts);
        Assert.Equal(112.5, row.KwhByTariff[TariffKinds.Valley]);
        Assert.Equal(37.5, row.KwhByTariff[TariffKinds.Peak]);
        Assert.Equal(Math.Round(112.5 * Tariffs.Price(TariffKinds.Valley) + 37.5 * Tariffs.Price(TariffKinds.Peak), 2), row.Cost);
        Assert.Equal((2000L, 1990L, 10L, 99.5), (row.MessagesExpected, row.MessagesStored, row.MessagesLost, row.CompletenessPercent));
        Assert.Equal(97.5, row.OnlinePercent); // 39 of 40 samples, not the mean of 90 % and 100 %
        Assert.Equal(3, row.Alarms);
        Assert.Equal((2.0, 10.0), (row.AckMedianMinutes, row.AckWorstMinutes)); // the unacknowledged one has no time
        Assert.Equal((30.0, 60.0), (row.ClearMedianMinutes, row.ClearWorstMinutes));
        Assert.Equal((4, 3, 75.0), (row.Commands, row.CommandsSucceeded, row.CommandSuccessPercent));
        Assert.Equal((4.0, 6.0), (row.CommandMedianSeconds, row.CommandP95Seconds)); // succeeded only: 2, 4, 6 s
        Assert.Equal((2, 1), (row.RunsExecuted, row.RunsMissed));
    }

    [Fact]
    public void Row_NoData_NullsNotZeros_MixedCoefficientSources()
    {
        var empty = new ReportCell { Station = "st001", Date = new DateOnly(2026, 11, 1), WaterPerKwh = 3, Calibrated = false };
        var row = ReportRow.Of("d", "d", [empty], Tariffs);
        Assert.Null(row.Kwh);
        Assert.Null(row.Cost);
        Assert.Null(row.CompletenessPercent);
        Assert.Null(row.OnlinePercent);
        Assert.Null(row.CommandSuccessPercent);
        Assert.Equal(ReportRow.Default, row.CoefficientSource);

        var mixed = ReportRow.Of("t", "t", [Cell("st001", 1, 10, calibrated: true), Cell("st002", 1, 10)], Tariffs);
        Assert.Equal(ReportRow.Mixed, mixed.CoefficientSource);
        Assert.Equal(2.75, mixed.WaterPerKwh); // water ÷ kWh of the two
    }

    private static Report Sample()
    {
        var cells = new[] { Cell("st001", 1, 120.5, calibrated: true), Cell("st001", 2, 80.25, calibrated: true) };
        cells[0].Commands.Add(("succeeded", 3_000));
        cells[0].Alarms.Add(("mains_lost", "失电", 3, 12));
        var rows = cells.Select(c => ReportRow.Of(c.Date.ToString("yyyy-MM-dd"), c.Date.ToString("yyyy-MM-dd"), [c], Tariffs)).ToList();
        return new Report(Report.StationScope, "st001", "东湖村机埠", "城东镇", "2026-11", ReportPeriod.Month, "2026年11月", "2026-11-01", "2026-11-30",
            "东湖村机埠运行月报", "测试县水利局", DateTimeOffset.Parse("2026-12-01T02:00:00+08:00").ToUnixTimeMilliseconds(), Tariffs.Name,
            TariffKinds.All.ToDictionary(k => k, Tariffs.Price), rows, ReportRow.Of("total", "合计", cells, Tariffs), [new AlarmKindCount("mains_lost", "失电", 1)]);
    }

    [Fact]
    public void Workbook_ReadBackWithMiniExcel_TitleHeadingHeadersRowsAndTotalsAsNumbers()
    {
        var bytes = ReportWorkbook.Create(Sample());
        PdfText.Keep("sample-station-month.xlsx", bytes);
        using var stream = new MemoryStream(bytes);
        var rows = stream.Query(useHeaderRow: false, sheetName: ReportWorkbook.SheetName).Cast<IDictionary<string, object?>>().Select(r => r.Values.ToArray()).ToList();

        Assert.Equal("东湖村机埠运行月报", rows[0][0]);
        Assert.Contains("机埠：东湖村机埠（st001）", (string)rows[1][0]!, StringComparison.Ordinal);
        Assert.Contains("统计期间：2026年11月（2026-11-01 至 2026-11-30，北京时间）", (string)rows[1][0]!, StringComparison.Ordinal);
        Assert.Equal("制表单位：测试县水利局    制表日期：2026-12-01", rows[2][0]);
        var header = rows.FindIndex(r => Equals(r[0], "日期") && Equals(r[1], "运行时长（h）"));
        Assert.True(header > 0);
        Assert.Equal(["日期", "运行时长（h）", "启动次数（次）", "用电量（kWh）", "折算水量（m³）", "折水系数（m³/kWh）", "系数来源", "尖峰电量（kWh）", "高峰电量（kWh）", "平段电量（kWh）", "低谷电量（kWh）", "电费（元）"],
            rows[header].Take(12).Select(v => v as string ?? "").ToArray());
        Assert.Equal("2026-11-01", rows[header + 1][0]);
        Assert.Equal(120.5, Convert.ToDouble(rows[header + 1][3]));
        Assert.Equal("标定", rows[header + 1][6]);
        Assert.Equal("合计", rows[header + 3][0]);
        Assert.Equal(200.75, Convert.ToDouble(rows[header + 3][3]));
        Assert.Equal(501.88, Convert.ToDouble(rows[header + 3][4])); // 200.75 × 2.5, to the centimetre... of a cubic metre
        var operations = rows.FindIndex(r => Equals(r[1], "应收消息（条）"));
        Assert.Equal(100.0, Convert.ToDouble(rows[operations + 3][12])); // command success of the totals row
        Assert.Contains(rows, r => Equals(r[0], "失电") && Equals(r[1], "mains_lost") && Convert.ToDouble(r[2]) == 1);
        Assert.Contains(rows, r => r[0] is string s && s.StartsWith("制表人：", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Document_ReadWithPdftotext_ChineseTitleStationTotalsAndTheFontEmbedded()
    {
        var pdf = ReportDocument.Create(Sample(), FontFile);
        PdfText.Keep("sample-station-month.pdf", pdf);
        Assert.Equal("%PDF"u8.ToArray(), pdf[..4]);
        var text = await PdfText.ExtractAsync(pdf);
        Assert.Contains("东湖村机埠运行月报", text, StringComparison.Ordinal);
        Assert.Contains("机埠：东湖村机埠（st001）", text, StringComparison.Ordinal);
        Assert.Contains("制表单位：测试县水利局", text, StringComparison.Ordinal);
        var totals = text.Split('\n').Where(l => l.TrimStart().StartsWith("合计", StringComparison.Ordinal)).ToList();
        Assert.Contains(totals, l => l.Contains("200.75", StringComparison.Ordinal) && l.Contains("501.88", StringComparison.Ordinal));
        var fonts = await PdfText.FontsAsync(pdf);
        Assert.Contains("AR PL SungtiL GB", fonts, StringComparison.Ordinal);
        Assert.Contains("yes yes yes", fonts, StringComparison.Ordinal); // embedded, subset, with a Unicode map
    }

    [Fact]
    public void Document_FontMissingOrACollection_ClearError()
    {
        Assert.Contains("cannot be read", Assert.Throws<ReportFontException>(() => ReportDocument.Create(Sample(), "/nonexistent/font.ttf")).Message, StringComparison.Ordinal);
        Assert.Contains("not a TrueType font", Assert.Throws<ReportFontException>(() => ReportDocument.Create(Sample(), "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")).Message, StringComparison.Ordinal);
    }
}
