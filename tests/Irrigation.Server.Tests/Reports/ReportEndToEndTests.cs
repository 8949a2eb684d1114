using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Contracts;
using Irrigation.Testing;
using MiniExcelLibs;
using static Irrigation.Server.Tests.OperatorApiTests;

namespace Irrigation.Server.Tests.Reports;

/// <summary>
/// Reports through the real pipeline (mosquitto, influxd, firmware-sim, gateway, server): two stations of one town
/// run commands and an alarm; the town's monthly report and a station's daily report come as JSON, XLSX (every number
/// compared with the JSON after reading it with MiniExcel) and PDF (read with pdftotext); last month's reports are
/// kept by the server on its own; the acceptance pack holds what a reviewer reads; bad requests get clear errors.
/// </summary>
[Collection("SystemFlows")]
public sealed class ReportEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    /// <summary>XLSX header (without its unit) → the JSON field of a report row, for every numeric column.</summary>
    private static readonly Dictionary<string, Func<JsonNode, JsonNode?>> Columns = new(StringComparer.Ordinal)
    {
        ["运行时长"] = r => r["runHours"],
        ["启动次数"] = r => r["starts"],
        ["用电量"] = r => r["kwh"],
        ["折算水量"] = r => r["waterM3"],
        ["折水系数"] = r => r["waterPerKwh"],
        ["尖峰电量"] = r => r["kwhByTariff"]!["sharp"],
        ["高峰电量"] = r => r["kwhByTariff"]!["peak"],
        ["平段电量"] = r => r["kwhByTariff"]!["flat"],
        ["低谷电量"] = r => r["kwhByTariff"]!["valley"],
        ["电费"] = r => r["cost"],
        ["应收消息"] = r => r["messagesExpected"],
        ["实收消息"] = r => r["messagesStored"],
        ["丢失消息"] = r => r["messagesLost"],
        ["数据完整率"] = r => r["completenessPercent"],
        ["在线率"] = r => r["onlinePercent"],
        ["告警"] = r => r["alarms"],
        ["确认中位"] = r => r["ackMedianMinutes"],
        ["确认最长"] = r => r["ackWorstMinutes"],
        ["恢复中位"] = r => r["clearMedianMinutes"],
        ["恢复最长"] = r => r["clearWorstMinutes"],
        ["远程命令"] = r => r["commands"],
        ["命令成功率"] = r => r["commandSuccessPercent"],
        ["反馈中位"] = r => r["commandMedianSeconds"],
        ["反馈P95"] = r => r["commandP95Seconds"],
        ["计划执行"] = r => r["runsExecuted"],
        ["计划未执行"] = r => r["runsMissed"],
    };

    [Fact]
    public async Task TownAndStation_JsonXlsxPdfAgree_LastMonthKept_AcceptancePackComplete_BadRequestsRefused()
    {
        var options = new SystemStackOptions { Stations = 2 };
        var env = options.ServerEnvironment;
        env["Irrigation__Reports__Organisation"] = "测试县水利局";
        env["Irrigation__Accounting__Interval"] = "00:00:02";
        env["Irrigation__Api__AvailabilityInterval"] = "00:00:02";
        env["Irrigation__Alarms__Rules__comms_lost__OnDelay"] = "00:00:01";
        await using var stack = await SystemStack.StartAsync("reports", options);
        await stack.WaitForStationOnlineAsync("st001", Wait);
        await stack.WaitForStationOnlineAsync("st002", Wait);
        using var admin = await stack.SignInAsync("admin");
        using var operatorClient = await stack.SignInAsync("operator");
        using var maintenance = await stack.SignInAsync("maintenance");
        using var viewer = await stack.SignInAsync("viewer");

        // st002 moves to st001's town; st001's 以电折水 coefficient is calibrated.
        using (var moved = await admin.PatchAsJsonAsync("api/stations/st002/settings", new { site = "城东镇" }))
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        using (var calibrated = await admin.PatchAsJsonAsync("api/stations/st001/settings", new { waterPerKwh = 2.5 }))
            Assert.Equal(HttpStatusCode.OK, calibrated.StatusCode);

        // Two remote commands on st001 (start, stop), both confirmed by feedback.
        foreach (var action in new[] { "start", "stop" })
        {
            using var command = await CommandAsync(operatorClient, "st001", 1, action);
            Assert.Equal("succeeded", (await WaitForFinalAsync(operatorClient, (await JsonAsync(command))["id"]!.GetValue<string>(), Wait))["state"]!.GetValue<string>());
            await Task.Delay(TimeSpan.FromSeconds(3));
        }

        // One alarm on st002: comms lost, acknowledged, then cleared.
        await stack.Simulator.SetFaultsAsync("st002", new { drop = true });
        var alarm = await Poll.UntilAsync(
            async () => JsonNode.Parse(await maintenance.GetStringAsync(new Uri("api/alarms?station=st002", UriKind.Relative)))!.AsArray().FirstOrDefault(a => a!["rule"]!.GetValue<string>() == "comms_lost"),
            a => a is not null, Wait);
        using (var ack = await maintenance.PostAsJsonAsync($"api/alarms/{alarm!["id"]}/ack", new { comment = "4G 信号恢复中" }))
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        await stack.Simulator.ClearFaultsAsync("st002");
        await Poll.UntilAsync(async () => JsonNode.Parse(await maintenance.GetStringAsync(new Uri($"api/alarms/{alarm["id"]}", UriKind.Relative)))!["state"]!.GetValue<string>() == "cleared", "the alarm cleared", Wait);
        await stack.WaitForStationOnlineAsync("st002", Wait);
        Assert.True(await stack.Influxd.BackfillRollupsAsync(stack.Database) >= 4);

        var now = DateTimeOffset.UtcNow;
        var today = BeijingTime.DateOf(now).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var month = today[..7];

        // ---- a station's daily report (日报): the accounts arrived, the commands counted, the coefficient is the calibrated one ----
        var day = await Poll.UntilAsync(
            async () => JsonNode.Parse(await viewer.GetStringAsync(new Uri($"api/reports/stations/st001?period={today}", UriKind.Relative)))!,
            r => r["total"]!["kwh"] is not null && r["total"]!["commands"]!.GetValue<int>() == 2 && r["total"]!["messagesStored"]!.GetValue<long>() > 0, Wait, TimeSpan.FromSeconds(1));
        Assert.Equal("仿真机埠 001运行日报", day["title"]!.GetValue<string>());
        Assert.Single(day["rows"]!.AsArray());
        var dayTotal = day["total"]!;
        Assert.Equal((2.5, "calibrated"), (dayTotal["waterPerKwh"]!.GetValue<double>(), dayTotal["coefficientSource"]!.GetValue<string>()));
        Assert.Equal(100.0, dayTotal["commandSuccessPercent"]!.GetValue<double>());
        Assert.NotNull(dayTotal["commandP95Seconds"]);
        Assert.InRange(dayTotal["onlinePercent"]!.GetValue<double>(), 50, 100);
        var byTariff = dayTotal["kwhByTariff"]!.AsObject().Sum(k => k.Value!.GetValue<double>());
        Assert.Equal(dayTotal["kwh"]!.GetValue<double>(), byTariff, 2);
        var prices = day["prices"]!.AsObject();
        Assert.Equal(Math.Round(dayTotal["kwhByTariff"]!.AsObject().Sum(k => k.Value!.GetValue<double>() * prices[k.Key]!.GetValue<double>()), 2), dayTotal["cost"]!.GetValue<double>(), 2);

        // ---- the town's monthly report (月报): a row per station, the totals over both ----
        // The month is still running: availability samples (every 2 s here) and the minute roll-ups move its figures
        // between two requests, so the JSON, the XLSX and the PDF are taken together, between two JSON answers with
        // the same figures, and each format is compared with that JSON.
        var townUri = $"api/reports/towns/{Uri.EscapeDataString("城东镇")}?period={month}";
        var taken = await Poll.UntilAsync(async () =>
            {
                var before = await viewer.GetStringAsync(new Uri(townUri, UriKind.Relative));
                var xlsxBytes = await viewer.GetByteArrayAsync(new Uri(townUri + "&format=xlsx", UriKind.Relative));
                var pdfBytes = await viewer.GetByteArrayAsync(new Uri(townUri + "&format=pdf", UriKind.Relative));
                var after = await viewer.GetStringAsync(new Uri(townUri, UriKind.Relative));
                return (Json: before, Xlsx: xlsxBytes, Pdf: pdfBytes, Steady: Figures(before) == Figures(after));
            },
            t => t.Steady, Wait, TimeSpan.FromMilliseconds(200));
        Assert.True(taken.Steady, "the town's figures kept moving between two requests");
        var town = JsonNode.Parse(taken.Json)!;
        Assert.Equal("城东镇机埠运行月报", town["title"]!.GetValue<string>());
        Assert.Equal("测试县水利局", town["organisation"]!.GetValue<string>());
        Assert.Equal(["st001", "st002"], town["rows"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()).ToArray());
        var total = town["total"]!;
        Assert.Equal(2, total["commands"]!.GetValue<int>());
        Assert.Equal(1, total["alarms"]!.GetValue<int>());
        Assert.NotNull(total["ackWorstMinutes"]);
        Assert.NotNull(total["clearWorstMinutes"]);
        Assert.Equal("mixed", total["coefficientSource"]!.GetValue<string>());
        Assert.Contains(town["alarmsByKind"]!.AsArray(), k => k!["rule"]!.GetValue<string>() == "comms_lost" && k["count"]!.GetValue<int>() == 1);
        Assert.Equal(
            town["rows"]!.AsArray().Sum(r => r!["messagesStored"]!.GetValue<long>()),
            total["messagesStored"]!.GetValue<long>());

        // ---- XLSX: every number of every row and of the totals equals the JSON ----
        var xlsx = taken.Xlsx;
        PdfText.Keep($"town-{month}.xlsx", xlsx);
        var sheet = new MemoryStream(xlsx).Query(useHeaderRow: false).Cast<IDictionary<string, object?>>().Select(r => r.Values.ToArray()).ToList();
        Assert.Equal("城东镇机埠运行月报", sheet[0][0]);
        var compared = 0;
        foreach (var headerIndex in Enumerable.Range(0, sheet.Count).Where(i => Equals(sheet[i][0], "机埠")))
        {
            var headers = sheet[headerIndex].Select(h => h is string s ? s.Split('（')[0] : "").ToArray();
            var jsonRows = town["rows"]!.AsArray().Select(r => r!).Append(total).ToList();
            for (var r = 0; r < jsonRows.Count; r++)
            {
                var cells = sheet[headerIndex + 1 + r];
                Assert.Equal(r < jsonRows.Count - 1 ? jsonRows[r]["label"]!.GetValue<string>() : "合计", cells[0]);
                for (var c = 1; c < headers.Length; c++)
                {
                    if (!Columns.TryGetValue(headers[c], out var field))
                        continue;
                    var expected = field(jsonRows[r]);
                    if (expected is null)
                        Assert.True(cells[c] is null, $"{headers[c]} of row {r}: expected empty, found {cells[c]}");
                    else
                        Assert.True(Convert.ToDouble(cells[c], CultureInfo.InvariantCulture) == expected.GetValue<double>(), $"{headers[c]} of row {r}: XLSX {cells[c]}, JSON {expected}");
                    compared++;
                }
            }
        }

        Assert.Equal(Columns.Count * 3, compared); // 26 numeric columns × (two stations + totals)

        // ---- PDF: the Chinese title, the stations and the totals row, as pdftotext reads them ----
        var pdf = taken.Pdf;
        PdfText.Keep($"town-{month}.pdf", pdf);
        var text = await PdfText.ExtractAsync(pdf);
        Assert.Contains("城东镇机埠运行月报", text, StringComparison.Ordinal);
        Assert.Contains("仿真机埠 001", text, StringComparison.Ordinal);
        Assert.Contains("仿真机埠 002", text, StringComparison.Ordinal);
        Assert.Contains("制表单位：测试县水利局", text, StringComparison.Ordinal);
        var totals = text.Split('\n').Where(l => l.TrimStart().StartsWith("合计", StringComparison.Ordinal)).ToList();
        Assert.Contains(totals, l => l.Contains(total["kwh"]!.GetValue<double>().ToString("F2", CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Contains(totals, l => l.Contains(total["messagesStored"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        // ---- bad requests ----
        await AssertProblemAsync(viewer, "api/reports/stations/st001?period=2026-13", HttpStatusCode.BadRequest, "invalid_period");
        await AssertProblemAsync(viewer, $"api/reports/stations/st001?period={month}&format=doc", HttpStatusCode.BadRequest, "invalid_format");
        await AssertProblemAsync(viewer, $"api/reports/stations/st404?period={month}", HttpStatusCode.NotFound, "station_not_found");
        await AssertProblemAsync(viewer, $"api/reports/towns/{Uri.EscapeDataString("无此镇")}?period={month}", HttpStatusCode.NotFound, "town_not_found");
        await AssertProblemAsync(viewer, $"api/reports/stations/st001?period={BeijingTime.DateOf(now).AddMonths(1):yyyy-MM}", HttpStatusCode.BadRequest, "period_in_future");

        // ---- last month's reports, generated and kept by the server on its own ----
        var lastMonth = BeijingTime.DateOf(now).AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var kept = await Poll.UntilAsync(async () => JsonNode.Parse(await viewer.GetStringAsync(new Uri("api/reports/archive", UriKind.Relative)))!.AsArray(),
            a => a.Any(r => r!["period"]!.GetValue<string>() == lastMonth), Wait);
        var files = kept.Where(r => r!["period"]!.GetValue<string>() == lastMonth).Select(r => r!["file"]!.GetValue<string>()).ToList();
        Assert.Contains("town-城东镇.pdf", files);
        Assert.Contains("station-st001.xlsx", files);
        Assert.Contains("station-st002.pdf", files);
        var keptPdf = await viewer.GetByteArrayAsync(new Uri($"api/reports/archive/{lastMonth}/{Uri.EscapeDataString("town-城东镇.pdf")}", UriKind.Relative));
        Assert.Contains("城东镇机埠运行月报", await PdfText.ExtractAsync(keptPdf), StringComparison.Ordinal);
        await AssertProblemAsync(viewer, $"api/reports/archive/{lastMonth}/{Uri.EscapeDataString("../../server.db")}", HttpStatusCode.NotFound, "report_not_found");

        // ---- the acceptance pack: admins only; what a reviewer reads ----
        var from = BeijingTime.DateOf(now).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using (var denied = await viewer.GetAsync(new Uri($"api/reports/acceptance-pack?from={from}&to={today}", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        await AssertProblemAsync(admin, $"api/reports/acceptance-pack?from={today}&to={from}", HttpStatusCode.BadRequest, "invalid_range");
        var zipBytes = await admin.GetByteArrayAsync(new Uri($"api/reports/acceptance-pack?from={from}&to={today}", UriKind.Relative));
        PdfText.Keep("acceptance-pack.zip", zipBytes);
        await AssertAcceptancePackAsync(zipBytes, month, "测试县水利局");

        // The same pack from the command line, against the same data.
        var environment = new Dictionary<string, string>(stack.ServerSettings, StringComparer.Ordinal);
        var output = Path.Combine(stack.Directory, "pack.zip");
        await using (var cli = ManagedProcess.Start("irrigation-server", RepoPaths.Server, ["acceptance-pack", from, today, output], environment: environment, workingDirectory: stack.Directory))
            Assert.True(await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, cli.Output);
        await AssertAcceptancePackAsync(await File.ReadAllBytesAsync(output), month, "测试县水利局");
    }

    /// <summary>A report's JSON without its generation time: what two answers must share to have the same figures.</summary>
    private static string Figures(string json)
    {
        var report = JsonNode.Parse(json)!.AsObject();
        report.Remove("generatedAt");
        return report.ToJsonString();
    }

    private static async Task AssertAcceptancePackAsync(byte[] zipBytes, string month, string organisation)
    {
        using var zip = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var name in new[] { $"月报/{month}/town-城东镇.xlsx", $"月报/{month}/town-城东镇.pdf", $"月报/{month}/station-st001.xlsx", "数据完整率.xlsx", "命令审计.xlsx", "审计链校验.txt", "告警台账.xlsx", "grafana/acceptance.json", "说明.txt" })
            Assert.True(names.Contains(name), $"{name} missing from the pack: {string.Join(", ", names)}");

        string Text(string name)
        {
            using var reader = new StreamReader(zip.GetEntry(name)!.Open());
            return reader.ReadToEnd();
        }

        List<object?[]> Sheet(string name)
        {
            using var copy = new MemoryStream();
            using (var stream = zip.GetEntry(name)!.Open())
                stream.CopyTo(copy);
            copy.Position = 0;
            return copy.Query(useHeaderRow: false).Cast<IDictionary<string, object?>>().Select(r => r.Values.ToArray()).ToList();
        }

        Assert.StartsWith("审计链校验：通过", Text("审计链校验.txt"), StringComparison.Ordinal);
        Assert.Contains($"制表单位：{organisation}", Text("说明.txt"), StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "grafana", "dashboards", "acceptance.json")), Text("grafana/acceptance.json"));
        var completeness = Sheet("数据完整率.xlsx");
        Assert.Equal("数据完整率（%）", completeness[0][6]);
        Assert.Contains(completeness, r => Equals(r[0], "st001") && Convert.ToDouble(r[4], CultureInfo.InvariantCulture) > 0 && Convert.ToDouble(r[9], CultureInfo.InvariantCulture) == 100);
        var audit = Sheet("命令审计.xlsx");
        Assert.True(audit.Count(r => r[3] is string a && a.StartsWith("command", StringComparison.Ordinal) && Equals(r[4], "st001")) >= 2, "the command audit extract lacks st001's commands");
        var alarms = Sheet("告警台账.xlsx");
        Assert.Contains(alarms, r => Equals(r[1], "st002") && Equals(r[4], "comms_lost") && r[8] is string && Equals(r[9], "maintenance") && r[11] is string);
    }

    private static async Task AssertProblemAsync(HttpClient client, string path, HttpStatusCode status, string code)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await JsonAsync(response))["code"]!.GetValue<string>());
    }
}
