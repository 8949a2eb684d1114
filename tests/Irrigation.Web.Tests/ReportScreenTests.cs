using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Testing;
using Irrigation.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Irrigation.Web.Tests;

/// <summary>Its own system: accounting and availability every few seconds, so this month's report fills within the test.</summary>
public sealed class ReportScreenFixture : WebAppFixture
{
    protected override void Configure(SystemStackOptions options)
    {
        options.ServerEnvironment["Irrigation__Accounting__Interval"] = "00:00:02";
        options.ServerEnvironment["Irrigation__Api__AvailabilityInterval"] = "00:00:02";
    }
}

/// <summary>
/// Reports on the phone (360×740, Chinese) against the whole running system: an admin chooses a town and this month
/// and sees the figures the API computed, downloads the XLSX and the PDF through the buttons, a kept monthly report and
/// the acceptance pack; the English switch; a viewer gets no acceptance pack; refusals are shown in plain words.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ReportScreenTests : BrowserTests<ReportScreenFixture>, IClassFixture<ReportScreenFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    public ReportScreenTests(ReportScreenFixture app, ITestOutputHelper output)
        : base(app, output)
    {
    }

    private static string BeijingToday => DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string BeijingMonth(int monthsBack) =>
        DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).AddMonths(-monthsBack).ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>Pump 1 of st001 started and, a few seconds later, stopped through the API: energy and two commands for the report.</summary>
    private static async Task RunPump1Async(HttpClient operatorClient)
    {
        foreach (var action in new[] { "start", "stop" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/stations/st001/pumps/1/commands") { Content = JsonContent.Create(new { action }) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var sent = await operatorClient.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
            var id = JsonNode.Parse(await sent.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
            var final = await Poll.UntilAsync(
                async () => JsonNode.Parse(await operatorClient.GetStringAsync(new Uri($"api/commands/{id}", UriKind.Relative)))!["state"]!.GetValue<string>(),
                state => state is not ("pending" or "sent"), Wait, TimeSpan.FromMilliseconds(300));
            Assert.Equal("succeeded", final);
            await Task.Delay(TimeSpan.FromSeconds(6));
        }
    }

    private static async Task<byte[]> DownloadAsync(IPage page, ILocator button, string expectedExtension)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => button.ClickAsync(), new() { Timeout = 60_000 });
        Assert.EndsWith(expectedExtension, download.SuggestedFilename, StringComparison.Ordinal);
        return await File.ReadAllBytesAsync((await download.PathAsync())!);
    }

    private static void AssertStartsWith(string magic, byte[] bytes, string what) =>
        Assert.True(bytes.Length > magic.Length && bytes.AsSpan(0, magic.Length).SequenceEqual(System.Text.Encoding.ASCII.GetBytes(magic)), $"{what} does not start with {magic} ({bytes.Length} bytes)");

    [Fact]
    public async Task Admin_ChoosesTownAndThisMonth_SeesTheApisFigures_DownloadsXlsxPdfKeptReportAndAcceptancePack_AlsoInEnglish()
    {
        using var admin = await App.Stack.SignInAsync("admin");
        using var operatorClient = await App.Stack.SignInAsync("operator");
        await RunPump1Async(operatorClient);
        Assert.True(await App.Stack.Influxd.BackfillRollupsAsync(App.Stack.Database) >= 1);

        var subjects = JsonNode.Parse(await admin.GetStringAsync(new Uri("api/reports/subjects", UriKind.Relative)))!.AsArray();
        var town = subjects.First(s => s!["stations"]!.AsArray().Any(st => st!["id"]!.GetValue<string>() == "st001"))!["town"]!.GetValue<string>();
        Assert.NotEqual("", town);
        var month = BeijingMonth(0);
        var lastMonth = BeijingMonth(1);
        var townReport = $"api/reports/towns/{Uri.EscapeDataString(town)}?period={month}";
        await Poll.UntilAsync(
            async () => JsonNode.Parse(await admin.GetStringAsync(new Uri(townReport, UriKind.Relative)))!["total"]!,
            total => total["kwh"] is not null && total["commands"]!.GetValue<int>() >= 2 && total["messagesStored"]!.GetValue<long>() > 0, Wait, TimeSpan.FromSeconds(1));
        // Last month's reports are generated and kept by the server on its own, soon after it starts.
        await Poll.UntilAsync(
            async () => JsonNode.Parse(await admin.GetStringAsync(new Uri("api/reports/archive", UriKind.Relative)))!.AsArray(),
            kept => kept.Any(r => r!["period"]!.GetValue<string>() == lastMonth && r["scope"]!.GetValue<string>() == "town"), Wait);

        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "admin");
        await page.Locator("nav .tab[data-tab=reports]").ClickAsync();
        await page.WaitForURLAsync("**/reports*");
        await Assertions.Expect(page.Locator(".page-title")).ToHaveTextAsync("运行报表");
        await Assertions.Expect(page.Locator("nav .tab[data-tab=reports]")).ToHaveTextAsync("报表");
        // The default is last Beijing month.
        await Assertions.Expect(page.Locator("#report-period")).ToHaveValueAsync(lastMonth);
        await Assertions.Expect(page.Locator(".report-heading")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        // A town and this month: the figures are the ones the API answered the page with.
        await page.Locator(".report-picker [data-scope=town]").ClickAsync();
        await page.Locator("#report-subject").SelectOptionAsync(town);
        var answer = await page.RunAndWaitForResponseAsync(
            () => page.Locator("#report-period").FillAsync(month),
            r => r.Url.Contains("/api/reports/towns/", StringComparison.Ordinal) && r.Url.Contains($"period={month}", StringComparison.Ordinal) && r.Url.Contains("format=json", StringComparison.Ordinal),
            new() { Timeout = 60_000 });
        Assert.Equal(200, answer.Status);
        var json = JsonNode.Parse(await answer.TextAsync())!;
        Assert.Contains($"town={Uri.EscapeDataString(town)}", page.Url, StringComparison.Ordinal);
        Assert.Contains($"period={month}", page.Url, StringComparison.Ordinal);
        var total = json["total"]!;
        var kwh = total["kwh"]!.GetValue<double>();
        var figures = page.Locator(".report-totals");
        await Assertions.Expect(figures.Locator("[data-figure=kwh] dd")).ToHaveAttributeAsync("data-value", kwh.ToString(CultureInfo.InvariantCulture));
        await Assertions.Expect(figures.Locator("[data-figure=kwh] dd")).ToHaveTextAsync($"{kwh.ToString("N2", CultureInfo.InvariantCulture)} kWh");
        await Assertions.Expect(figures.Locator("[data-figure=kwh] dt")).ToHaveTextAsync("用电量");
        await Assertions.Expect(figures.Locator("[data-figure=cost] dd")).ToHaveTextAsync($"{total["cost"]!.GetValue<double>().ToString("N2", CultureInfo.InvariantCulture)} 元");
        await Assertions.Expect(figures.Locator("[data-figure=water] dd")).ToHaveAttributeAsync("data-value", total["waterM3"]!.GetValue<double>().ToString(CultureInfo.InvariantCulture));
        await Assertions.Expect(figures.Locator("[data-figure=commandSuccess] dd")).ToHaveAttributeAsync("data-value", total["commandSuccessPercent"]!.GetValue<double>().ToString(CultureInfo.InvariantCulture));
        await Assertions.Expect(figures.Locator("[data-figure=completeness] dd")).ToContainTextAsync("%");
        await Assertions.Expect(figures.Locator("dt")).ToHaveTextAsync(["用电量", "折算水量", "电费", "运行时长", "数据完整率", "在线率", "告警", "命令成功率"]);
        var rowKeys = json["rows"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()).ToArray();
        Assert.Contains("st001", rowKeys);
        await Assertions.Expect(page.Locator(".report-rows tbody tr")).ToHaveCountAsync(rowKeys.Length);
        await Assertions.Expect(page.Locator(".report-rows tbody tr[data-row=st001] th")).ToHaveTextAsync(json["rows"]!.AsArray().First(r => r!["key"]!.GetValue<string>() == "st001")!["label"]!.GetValue<string>());
        await ShotAsync(page, "40-reports-town-month");
        await ShotAsync(page, "41-reports-town-month-full", fullPage: true);

        // The files, through the buttons.
        AssertStartsWith("PK", await DownloadAsync(page, page.Locator("[data-download=xlsx]"), ".xlsx"), "the XLSX");
        await Assertions.Expect(page.Locator(".file-status.xlsx")).ToContainTextAsync("已下载");
        AssertStartsWith("%PDF", await DownloadAsync(page, page.Locator("[data-download=pdf]"), ".pdf"), "the PDF");
        await Assertions.Expect(page.Locator(".file-status.pdf")).ToContainTextAsync("已下载");

        // A kept monthly report: last month's town PDF.
        var keptMonth = page.Locator($".archive-month[data-period='{lastMonth}']");
        await Assertions.Expect(keptMonth).ToHaveAttributeAsync("open", "");
        var keptPdf = keptMonth.Locator($"li[data-subject='{town}'] a[data-file$='.pdf']");
        AssertStartsWith("%PDF", await DownloadAsync(page, keptPdf, ".pdf"), "the kept PDF");

        // The acceptance pack (admins): today only.
        var pack = page.Locator(".acceptance-pack");
        await Assertions.Expect(pack).ToBeVisibleAsync();
        await pack.Locator("input[name=pack-from]").FillAsync(BeijingToday);
        await pack.Locator("input[name=pack-to]").FillAsync(BeijingToday);
        AssertStartsWith("PK", await DownloadAsync(page, pack.Locator("[data-action=acceptance-pack]"), ".zip"), "the acceptance pack");
        await ShotAsync(page, "42-reports-downloaded-and-kept", fullPage: true);

        // English: the same report with English labels.
        await page.Locator("button.lang").ClickAsync();
        await Assertions.Expect(page.Locator("nav .tab[data-tab=reports]")).ToHaveTextAsync("Reports");
        await Assertions.Expect(page.Locator(".page-title")).ToHaveTextAsync("Reports");
        await Assertions.Expect(page.Locator(".report-totals [data-figure=kwh] dt")).ToHaveTextAsync("Energy");
        await Assertions.Expect(page.Locator(".report-totals [data-figure=kwh] dd")).ToHaveTextAsync($"{kwh.ToString("N2", CultureInfo.InvariantCulture)} kWh");
        await Assertions.Expect(page.Locator("[data-download=xlsx]")).ToContainTextAsync("Download Excel");
        await Assertions.Expect(page.Locator(".report-picker [data-scope=town]")).ToHaveTextAsync("Town");
        await Assertions.Expect(page.Locator(".acceptance-pack h2")).ToHaveTextAsync("Acceptance pack");
        await Assertions.Expect(page.Locator(".report-heading")).ToContainTextAsync("monthly report");
        // Four tabs in English still fit the phone's width.
        Assert.True(await page.EvaluateAsync<bool>("[...document.querySelectorAll('nav .tab')].every(t => t.scrollWidth <= t.clientWidth)"), "a tab's label overflows");
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await ShotAsync(page, "43-reports-english");
        await page.Locator("button.lang").ClickAsync();
        await Assertions.Expect(page.Locator(".page-title")).ToHaveTextAsync("运行报表");
    }

    [Fact]
    public async Task Viewer_SeesReportsAndKeptReports_NoAcceptancePack_RefusalsInPlainChinese()
    {
        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "viewer");
        await page.Locator("nav .tab[data-tab=reports]").ClickAsync();
        await page.WaitForURLAsync("**/reports*");
        await Assertions.Expect(page.Locator(".report-heading")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".report-totals [data-figure=kwh] dt")).ToHaveTextAsync("用电量");
        await Assertions.Expect(page.Locator("[data-download=xlsx]")).ToBeEnabledAsync();
        await Assertions.Expect(page.Locator(".report-archive h2")).ToHaveTextAsync("已存档月报");
        await Assertions.Expect(page.Locator(".acceptance-pack")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("[data-action=acceptance-pack]")).ToHaveCountAsync(0);
        await ShotAsync(page, "44-reports-viewer");

        // The server agrees: the pack is refused to a viewer.
        using (var viewer = await App.Stack.SignInAsync("viewer"))
        using (var refused = await viewer.GetAsync(new Uri($"api/reports/acceptance-pack?from={BeijingToday}&to={BeijingToday}", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        // A station's daily report, and refusals in words: a town that does not exist, a month that has not begun.
        await page.GotoAsync($"/reports?station=st001&period={BeijingToday}");
        await Assertions.Expect(page.Locator(".report-picker [data-kind=day]")).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(page.Locator(".report-rows tbody tr")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await page.GotoAsync($"/reports?town={Uri.EscapeDataString("无此镇")}&period={BeijingMonth(0)}");
        await Assertions.Expect(page.Locator(".report-error .error")).ToHaveTextAsync("找不到这个镇，或镇里没有机埠", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".report-error [data-action=retry]")).ToHaveCountAsync(0); // asking again would not help
        var next = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).AddMonths(1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        await page.GotoAsync($"/reports?station=st001&period={next}");
        await Assertions.Expect(page.Locator(".report-error .error")).ToHaveTextAsync("所选时间还没到，没有数据", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".report-error .error")).ToHaveAttributeAsync("data-code", "period_in_future");
        await ShotAsync(page, "45-reports-refused");

        // Patchy 4G: without signal the report is tried again, then offered with 重试; back in signal it comes by itself.
        var lastMonth = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).AddMonths(-1);
        await page.GotoAsync($"/reports?station=st001&period={BeijingMonth(0)}");
        await Assertions.Expect(page.Locator(".report-heading")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.Context.SetOfflineAsync(true);
        await page.Locator("#report-period").FillAsync(BeijingMonth(1));
        await Assertions.Expect(page.Locator(".report-loading")).ToContainTextAsync("正在重试");
        await Assertions.Expect(page.Locator(".report-error .error")).ToHaveTextAsync("网络不通，请检查手机信号", new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator(".report-error [data-action=retry]")).ToBeVisibleAsync();
        await ShotAsync(page, "46-reports-offline");
        await page.Context.SetOfflineAsync(false);
        await Assertions.Expect(page.Locator(".report-heading")).ToContainTextAsync($"{lastMonth.Year}年{lastMonth.Month}月", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".report-error")).ToHaveCountAsync(0);
    }
}

/// <summary>Its own system whose PDF font is missing (a server installed without fonts-arphic-gbsn00lp).</summary>
public sealed class ReportFontMissingFixture : WebAppFixture
{
    protected override void Configure(SystemStackOptions options)
    {
        options.ServerEnvironment["Irrigation__Reports__FontFile"] = "/nonexistent/gbsn00lp.ttf";
        options.ServerEnvironment["Irrigation__Reports__Archive"] = "false";
    }
}

/// <summary>A server without the PDF font: the PDF button says why in plain Chinese, once (not retried), and Excel still comes.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ReportFontMissingTests : BrowserTests<ReportFontMissingFixture>, IClassFixture<ReportFontMissingFixture>
{
    public ReportFontMissingTests(ReportFontMissingFixture app, ITestOutputHelper output)
        : base(app, output)
    {
    }

    [Fact]
    public async Task PdfWithoutFont_ShowsWhyWithoutRetrying_ExcelStillDownloads()
    {
        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "viewer");
        var pdfRequests = 0;
        page.Request += (_, request) => pdfRequests += request.Url.Contains("format=pdf", StringComparison.Ordinal) ? 1 : 0;
        var downloads = 0;
        page.Download += (_, _) => downloads++;
        await page.GotoAsync("/reports?station=st001&period=" + DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM", CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator(".report-heading")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        await page.Locator("[data-download=pdf]").ClickAsync();
        await Assertions.Expect(page.Locator(".file-status.pdf")).ToHaveTextAsync("PDF 下载失败：服务器缺少中文字体，暂时不能生成 PDF，请先下载 Excel");
        await Assertions.Expect(page.Locator("[data-download=pdf]")).ToBeEnabledAsync();
        await ShotAsync(page, "47-reports-pdf-font-missing");
        Assert.Equal(1, pdfRequests);
        Assert.Equal(0, downloads);

        var xlsx = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-download=xlsx]").ClickAsync());
        var bytes = await File.ReadAllBytesAsync((await xlsx.PathAsync())!);
        Assert.True(bytes.Length > 2 && bytes[0] == 'P' && bytes[1] == 'K', "the XLSX does not start with PK");
    }
}
