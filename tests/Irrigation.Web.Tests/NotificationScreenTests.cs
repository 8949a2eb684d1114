using Irrigation.Testing;
using Irrigation.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Irrigation.Web.Tests;

/// <summary>Its own system with the Alibaba Cloud stand-in and a roster for 城西镇 (st002) around the clock: two people, ten minutes apart.</summary>
public sealed class NotificationScreenFixture : WebAppFixture, IAsyncLifetime
{
    public AliyunStandIn StandIn { get; } = new();

    protected override void Configure(SystemStackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var env = options.ServerEnvironment;
        foreach (var (key, value) in StandIn.ServerSettings())
            env[key] = value;
        const string r = "Irrigation__Notifications__Rosters__0__";
        env[r + "Town"] = "城西镇";
        env[r + "Windows__0__From"] = "00:00";
        env[r + "Windows__0__To"] = "00:00";
        env[r + "Windows__0__People__0__Name"] = "李值班";
        env[r + "Windows__0__People__0__Phone"] = "13900000001";
        env[r + "Windows__0__People__1__Name"] = "王站长";
        env[r + "Windows__0__People__1__Phone"] = "13900000002";
        env["Irrigation__Notifications__EscalateAfter"] = "00:10:00";
        env["Irrigation__Notifications__VoiceCalls"] = "0";
        env["Irrigation__Alarms__Rules__low_sump_level__OnDelay"] = "00:00:00";
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await StandIn.DisposeAsync();
    }
}

/// <summary>An alarm's SMS on the phone: maintenance opens 通知记录 on the card and sees who got what (numbers masked), in both languages; a viewer has no such panel.</summary>
[Collection(BrowserCollection.Name)]
public sealed class NotificationScreenTests : BrowserTests<NotificationScreenFixture>, IClassFixture<NotificationScreenFixture>
{
    public NotificationScreenTests(NotificationScreenFixture app, ITestOutputHelper output)
        : base(app, output)
    {
    }

    [Fact]
    public async Task LowSumpAlarm_MaintenanceSeesTheSentSmsAndTheNextStepMasked_AlsoInEnglish_ViewerSeesNone()
    {
        await App.Stack.WaitForStationOnlineAsync("st002", TimeSpan.FromSeconds(60));
        await App.Stack.Simulator.SetPhysicsAsync("st002", new { level = 0.5, inflow = 0.0 });
        await Poll.UntilAsync(() => Task.FromResult(App.StandIn.Sms.Count), n => n >= 1, TimeSpan.FromSeconds(40));
        // The stand-in records the SMS before it answers; the server records the step as sent once it has the answer.
        using (var maintenance = await App.Stack.SignInAsync("maintenance"))
        {
            await Poll.UntilAsync(async () =>
            {
                var alarms = System.Text.Json.Nodes.JsonNode.Parse(await maintenance.GetStringAsync(new Uri("api/alarms?station=st002&state=open", UriKind.Relative)))!.AsArray();
                if (alarms.FirstOrDefault(a => a!["key"]!.GetValue<string>() == "low_sump_level") is not { } alarm)
                    return false;
                var notes = System.Text.Json.Nodes.JsonNode.Parse(await maintenance.GetStringAsync(new Uri($"api/alarms/{alarm["id"]}/notifications", UriKind.Relative)))!;
                return notes["steps"]!.AsArray().FirstOrDefault()?["state"]?.GetValue<string>() == "sent";
            }, "the first SMS step recorded as sent", TimeSpan.FromSeconds(30));
        }


        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "maintenance");
        await page.Locator(".tabs a[data-tab=alarms]").ClickAsync();
        var card = page.Locator(".alarm-card[data-station=st002]").Filter(new() { HasText = "前池低水位" });
        await Assertions.Expect(card).ToBeVisibleAsync(new() { Timeout = 40_000 });
        await card.Locator(".alarm-notify summary").ClickAsync();
        var first = card.Locator(".notify-step[data-step='0']");
        await Assertions.Expect(first).ToContainTextAsync("短信 李值班 139****0001");
        await Assertions.Expect(first).ToContainTextAsync("已发送");
        await Assertions.Expect(card.Locator(".notify-step[data-step='1']")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("王站长 139\\*\\*\\*\\*0002 · 待发送（"));
        await Assertions.Expect(card.Locator(".alarm-notify")).Not.ToContainTextAsync("13900000001");
        await ShotAsync(page, "30-alarm-notifications");

        await page.Locator("button.lang").ClickAsync();
        var english = page.Locator(".alarm-card[data-station=st002]").Filter(new() { HasText = "Low sump level" });
        await Assertions.Expect(english).ToBeVisibleAsync();
        if (!await english.Locator(".alarm-notify").EvaluateAsync<bool>("d => d.open"))
            await english.Locator(".alarm-notify summary").ClickAsync();
        await Assertions.Expect(english.Locator(".notify-step[data-step='0']")).ToContainTextAsync("SMS 李值班 139****0001 · sent");
        await Assertions.Expect(english.Locator(".notify-step[data-step='1']")).ToContainTextAsync("due");
        await page.Locator("button.lang").ClickAsync();

        var viewer = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(viewer, "viewer");
        await viewer.Locator(".tabs a[data-tab=alarms]").ClickAsync();
        await Assertions.Expect(viewer.Locator(".alarm-card[data-station=st002]").First).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator(".alarm-notify")).ToHaveCountAsync(0);
    }
}
