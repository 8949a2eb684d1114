using Irrigation.Testing.Waiting;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Irrigation.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Irrigation.Web.Tests;

/// <summary>Its own system: accounting every few seconds, so the station page's daily figures fill within the test.</summary>
public sealed class AlarmScreenFixture : WebAppFixture
{
    protected override void Configure(SystemStackOptions options) =>
        options.ServerEnvironment["Irrigation__Accounting__Interval"] = "00:00:05";
}

/// <summary>
/// Alarms on the phone (its own system, since it trips a pump): a dry-run trip reaches an open alarm screen live and
/// in red; a maintenance user acknowledges it with a comment; a viewer sees it without the button, on the alarm
/// screen, in the history filtered by station and on the station page, with the daily energy and water table.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AlarmScreenTests : BrowserTests<AlarmScreenFixture>, IClassFixture<AlarmScreenFixture>
{
    private const string Red = "rgb(192, 24, 24)"; // --critical
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);
    public AlarmScreenTests(AlarmScreenFixture app, ITestOutputHelper output)
        : base(app, output)
    {
    }

    /// <summary>The operator starts pump 1 of st001 through the API and it runs; then the sump is drained, so the controller trips it.</summary>
    private async Task TripPump1ByDryRunningAsync()
    {
        using var operatorClient = await App.Stack.SignInAsync("operator");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/stations/st001/pumps/1/commands") { Content = JsonContent.Create(new { action = "start" }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var start = await operatorClient.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var id = JsonNode.Parse(await start.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var final = await Poll.UntilAsync(
            async () => JsonNode.Parse(await operatorClient.GetStringAsync(new Uri($"api/commands/{id}", UriKind.Relative)))!["state"]!.GetValue<string>(),
            state => state is not ("pending" or "sent"), Wait, TimeSpan.FromMilliseconds(300));
        Assert.Equal("succeeded", final);
        await App.Stack.Simulator.SetPhysicsAsync("st001", new { level = 0.3, inflow = 0.0 });
    }

    [Fact]
    public async Task DryRunTrip_MaintenanceSeesItLiveInRed_AcknowledgesWithComment_ViewerSeesNoButton()
    {
        // The maintenance phone is already on the alarm screen: the alarm has to arrive over the event stream.
        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "maintenance");
        await page.Locator(".tabs a[data-tab=alarms]").ClickAsync();
        await page.WaitForURLAsync("**/alarms");
        await Assertions.Expect(page.Locator(".alarm-list .all-clear")).ToHaveTextAsync("没有未消除的报警");

        await TripPump1ByDryRunningAsync();

        var card = page.Locator(".alarm-card[data-station=st001][data-severity=critical]").Filter(new() { HasText = "水泵故障" });
        await Assertions.Expect(card).ToBeVisibleAsync(new() { Timeout = 40_000 });
        using (var viewerApi = await App.Stack.SignInAsync("viewer"))
        {
            var name = JsonNode.Parse(await viewerApi.GetStringAsync(new Uri("api/stations/st001", UriKind.Relative)))!["name"]!.GetValue<string>();
            await Assertions.Expect(card.Locator(".alarm-station")).ToHaveTextAsync(name);
        }

        await Assertions.Expect(card.Locator(".alarm-message")).ToContainTextAsync("干转跳闸");
        await Assertions.Expect(card.Locator(".sev-badge")).ToHaveTextAsync("严重");
        await Assertions.Expect(card.Locator(".sev-badge")).ToHaveCSSAsync("background-color", Red);
        await Assertions.Expect(card).ToHaveCSSAsync("border-left-color", Red);
        await Assertions.Expect(card.Locator(".alarm-state")).ToHaveTextAsync("未确认");
        await Assertions.Expect(card.Locator(".alarm-time")).ToContainTextAsync(new Regex("发生于 (刚刚|[0-9]+分钟前)"));
        await Assertions.Expect(page.Locator(".tabs .count.unacked")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".alarm-card").First).ToHaveAttributeAsync("data-severity", "critical"); // the most severe first
        await ShotAsync(page, "14-alarms-screen");

        // Acknowledge: the dialog names the alarm and will not send without a comment.
        await card.Locator("button.ack").ClickAsync();
        var dialog = page.Locator("dialog.ack");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog.Locator(".confirm-question")).ToHaveTextAsync("确认报警");
        await Assertions.Expect(dialog.Locator(".ack-alarm")).ToContainTextAsync("水泵故障");
        await dialog.Locator("button[data-action=confirm]").ClickAsync();
        await Assertions.Expect(dialog.Locator(".error")).ToHaveTextAsync("请填写处理说明");
        await dialog.Locator("#ack-comment").FillAsync("已到现场，前池补水后复位");
        await ShotAsync(page, "15-acknowledge-dialog");
        await dialog.Locator("button[data-action=confirm]").ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);

        await Assertions.Expect(card).ToHaveAttributeAsync("data-state", "acknowledged");
        await Assertions.Expect(card.Locator(".alarm-state")).ToHaveTextAsync("已确认");
        await Assertions.Expect(card.Locator(".alarm-ack")).ToContainTextAsync("maintenance 已确认");
        await Assertions.Expect(card.Locator(".alarm-ack")).ToContainTextAsync("已到现场，前池补水后复位");
        await Assertions.Expect(card.Locator("button.ack")).ToHaveCountAsync(0);
        await ShotAsync(page, "16-alarm-acknowledged");
        var alarmId = await card.GetAttributeAsync("data-alarm");
        using (var maintenanceApi = await App.Stack.SignInAsync("maintenance"))
        {
            var alarm = JsonNode.Parse(await maintenanceApi.GetStringAsync(new Uri($"api/alarms/{alarmId}", UriKind.Relative)))!;
            Assert.Equal("acknowledged", alarm["state"]!.GetValue<string>());
            Assert.Equal("maintenance", alarm["acknowledgedBy"]!.GetValue<string>());
            Assert.Equal("已到现场，前池补水后复位", alarm["ackComment"]!.GetValue<string>());
        }

        await page.Context.CloseAsync();

        // A viewer sees the alarm, acknowledged, and no acknowledge button anywhere.
        var viewer = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(viewer, "viewer");
        await viewer.Locator(".tabs a[data-tab=alarms]").ClickAsync();
        var seen = viewer.Locator($".alarm-card[data-alarm='{alarmId}']");
        await Assertions.Expect(seen).ToHaveAttributeAsync("data-state", "acknowledged");
        await Assertions.Expect(viewer.Locator(".alarm-card").First).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator("button.ack")).ToHaveCountAsync(0);

        // History, filtered by station and period; the choice is in the address.
        await viewer.Locator("button[data-tab=history]").ClickAsync();
        await viewer.Locator("#alarm-station").SelectOptionAsync("st001");
        await viewer.Locator("button[data-range='7d']").ClickAsync();
        await Assertions.Expect(viewer).ToHaveURLAsync(new Regex("/alarms\\?view=history&station=st001&range=7d$"));
        await Assertions.Expect(seen).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator(".alarm-card:not([data-station=st001])")).ToHaveCountAsync(0);
        await ShotAsync(viewer, "17-alarm-history-viewer");

        // In English the severity, title and message follow the switch: the message comes as a code with parameters.
        await viewer.Locator("button.lang").ClickAsync();
        await Assertions.Expect(seen.Locator(".sev-badge")).ToHaveTextAsync("Critical");
        await Assertions.Expect(seen.Locator(".alarm-title")).ToHaveTextAsync("Pump fault");
        await Assertions.Expect(seen.Locator(".alarm-message")).ToContainTextAsync("Pump 1 fault: dry-run trip");
        await Assertions.Expect(seen.Locator(".alarm-state")).ToHaveTextAsync("Acknowledged");
        await viewer.Locator("button.lang").ClickAsync();
        await Assertions.Expect(seen.Locator(".alarm-title")).ToHaveTextAsync("水泵故障");
        await Assertions.Expect(seen.Locator(".alarm-message")).ToContainTextAsync("1号泵故障：干转跳闸");

        // The station page: its open alarms at the top, and the daily energy and water of the last 7 Beijing days.
        await viewer.GotoAsync("/stations/st001");
        await Assertions.Expect(viewer.Locator(".station-alarms .alarm-card").Filter(new() { HasText = "水泵故障" })).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator(".station-alarms button.ack")).ToHaveCountAsync(0);
        var rows = viewer.Locator(".energy-table tbody tr.day-row");
        await Assertions.Expect(rows).ToHaveCountAsync(7);
        await Assertions.Expect(rows.First.Locator("th")).ToHaveTextAsync("今天");
        await Assertions.Expect(viewer.Locator(".energy-table thead")).ToContainTextAsync("kWh");
        await Assertions.Expect(viewer.Locator(".energy-table thead")).ToContainTextAsync("m³");
        await Assertions.Expect(viewer.Locator(".energy-note")).ToContainTextAsync("以电折水");
        // Today's kWh once the accounting pass has seen the meter (every 5 s here); reload to fetch it again.
        var todayKwh = rows.First.Locator("td").First;
        await Poll.UntilAsync(async () =>
        {
            await viewer.ReloadAsync();
            return await todayKwh.InnerTextAsync();
        }, text => text != "—", Wait, TimeSpan.FromSeconds(3), transient: e => e is Microsoft.Playwright.PlaywrightException);
        await Assertions.Expect(todayKwh).ToHaveTextAsync(new Regex("^[0-9][0-9,.]*$"));
        // Each pump's share under each day, on request (pump 1 ran today, so today has its row with running hours).
        var byPump = viewer.Locator(".energy button.by-pump");
        await Assertions.Expect(byPump).ToHaveTextAsync("按泵显示");
        await Assertions.Expect(viewer.Locator(".energy-table .pump-row")).ToHaveCountAsync(0);
        await byPump.ClickAsync();
        await Assertions.Expect(byPump).ToHaveAttributeAsync("aria-pressed", "true");
        var todayPump1 = viewer.Locator(".energy-table tbody tr").Nth(1);
        await Assertions.Expect(todayPump1).ToHaveClassAsync(new Regex("pump-row"));
        await Assertions.Expect(todayPump1.Locator("th")).ToHaveTextAsync("1号泵");
        await Assertions.Expect(viewer.Locator(".energy-table .day-row")).ToHaveCountAsync(7);
        // The rest of the page is there too (the sump may by now have raised 前池低水位 as well).
        await Assertions.Expect(viewer.Locator(".station-alarms .alarm-card").Filter(new() { HasText = "水泵故障" })).ToHaveCountAsync(1);
        await Assertions.Expect(viewer.Locator(".pump-card[data-pump='1']")).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator(".tabs .count")).ToHaveTextAsync(new Regex("^[1-9]"));
        await ShotAsync(viewer, "18-station-alarms-and-energy", fullPage: true);
        await viewer.Context.CloseAsync();
    }
}
