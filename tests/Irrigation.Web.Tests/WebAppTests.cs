using Irrigation.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Irrigation.Web.Tests;

/// <summary>The phone web app in headless Chromium at 360×740 against the whole running system.</summary>
[Collection(BrowserCollection.Name)]
public sealed class WebAppTests : BrowserTests<WebAppFixture>, IClassFixture<WebAppFixture>
{
    public WebAppTests(WebAppFixture app, ITestOutputHelper output)
        : base(app, output)
    {
    }

    internal static async Task SignInAsync(IPage page, string user)
    {
        await page.GotoAsync("/");
        await page.Locator("#username").FillAsync(user);
        await page.Locator("#password").FillAsync(SystemStack.Users[user].Password);
        await page.Locator("form.login-form button[type=submit]").ClickAsync();
        await page.Locator(".station-row[data-station=st001]").WaitForAsync();
    }

    [Fact]
    public async Task Operator_StartsAndStopsPump1WithConfirmation_SeesEachOutcomeFromFeedback()
    {
        var page = await App.NewPhoneAsync();
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("机埠远程监控");
        await ShotAsync(page, "01-sign-in");
        await SignInAsync(page, "operator");

        // The list, in Chinese by default: the town heading, the station, its status and pumps.
        var row = page.Locator(".station-row[data-station=st001]");
        await Assertions.Expect(page.Locator(".page-title")).ToContainTextAsync("机埠列表");
        await Assertions.Expect(row.Locator(".badge[data-status=online]")).ToHaveTextAsync("在线");
        await Assertions.Expect(row.Locator(".pump-dot[data-pump='1']")).ToContainTextAsync("1号泵");
        await Assertions.Expect(row.Locator(".pump-dot[data-pump='1']")).ToContainTextAsync("停止");
        await Assertions.Expect(page.Locator(".site-name").First).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.Locator(".who .role")).ToHaveTextAsync("操作员");
        await ShotAsync(page, "02-station-list", fullPage: true);

        // The station page: live values with Chinese labels and units, pump 1 stopped by its feedback.
        await row.ClickAsync();
        await page.WaitForURLAsync("**/stations/st001");
        var pump = page.Locator(".pump-card[data-pump='1']");
        await Assertions.Expect(pump).ToHaveAttributeAsync("data-state", "stopped");
        await Assertions.Expect(page.Locator(".value[data-key=voltage_a] dt")).ToHaveTextAsync("A相电压");
        await Assertions.Expect(page.Locator(".value[data-key=voltage_a] dd")).ToContainTextAsync(" V");
        await Assertions.Expect(page.Locator(".chart[data-quantity=active_power] canvas, .chart[data-quantity=active_power] .muted:not(:has-text('正在加载'))")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await ShotAsync(page, "03-station-page", fullPage: true);

        // Start: a confirmation that names the station and the pump.
        var stationName = (await page.Locator(".station-title").InnerTextAsync()).Split('\n')[0].Trim();
        await pump.Locator("button.start").ClickAsync();
        var dialog = page.Locator("dialog.confirm");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog.Locator(".confirm-question")).ToContainTextAsync("确认启动");
        var question = await dialog.Locator(".confirm-question").InnerTextAsync();
        Assert.Contains("确认启动", question, StringComparison.Ordinal);
        Assert.Contains("1号泵", question, StringComparison.Ordinal);
        Assert.Contains(stationName.Split(' ')[0], question, StringComparison.Ordinal);
        await ShotAsync(page, "04-confirm-start");
        await dialog.Locator("button[data-action=confirm]").ClickAsync();

        // The command's live state until final, then the pump shown running — from its feedback.
        var status = pump.Locator(".cmd-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 40_000 });
        await Assertions.Expect(status).ToContainTextAsync("已启动");
        await Assertions.Expect(pump).ToHaveAttributeAsync("data-state", "running", new() { Timeout = 20_000 });
        await Assertions.Expect(pump.Locator(".pump-state")).ToHaveTextAsync("运行");
        await ShotAsync(page, "05-command-succeeded");

        // The simulated pump really runs.
        Assert.True(await App.Stack.Simulator.PumpRunningAsync("st001", 1), "the simulator's pump 1 should be running");

        // Back on the list the pump dot follows the feedback too.
        await page.Locator("a.back").ClickAsync();
        var dot = page.Locator(".station-row[data-station=st001] .pump-dot[data-pump='1']");
        await Assertions.Expect(dot).ToHaveAttributeAsync("data-state", "running");
        await Assertions.Expect(dot).ToHaveTextAsync("1号泵 运行");
        await ShotAsync(page, "06-station-list-running");

        // Stop: its own confirmation, 已停止, and the pump shown stopped once its feedback says so.
        await page.Locator(".station-row[data-station=st001]").ClickAsync();
        await page.WaitForURLAsync("**/stations/st001");
        await pump.Locator("button.stop").ClickAsync();
        await Assertions.Expect(dialog.Locator(".confirm-question")).ToContainTextAsync("确认停止");
        await Assertions.Expect(dialog.Locator(".confirm-question")).ToContainTextAsync("1号泵");
        await dialog.Locator("button[data-action=confirm]").ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("已停止", new() { Timeout = 40_000 });
        await Assertions.Expect(pump).ToHaveAttributeAsync("data-state", "stopped", new() { Timeout = 20_000 });
        Assert.False(await App.Stack.Simulator.PumpRunningAsync("st001", 1), "the simulator's pump 1 should be stopped");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Operator_StartsPumpInLocalMode_SeesTheGatewaysRefusalInPlainChinese()
    {
        // st002's selector at the cabinet is turned to local: the gateway must refuse, and the app say why.
        await App.Stack.Simulator.SetPhysicsAsync("st002", new { remote = false });
        try
        {
            var page = await App.NewPhoneAsync();
            await SignInAsync(page, "operator");
            await page.GotoAsync("/stations/st002");
            await Assertions.Expect(page.Locator(".head-badges .mode-local")).ToHaveTextAsync("就地模式", new() { Timeout = 30_000 });
            var pump = page.Locator(".pump-card[data-pump='1']");
            await pump.Locator("button.start").ClickAsync();
            await page.Locator("dialog.confirm button[data-action=confirm]").ClickAsync();

            var status = pump.Locator(".cmd-status");
            await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "rejected", new() { Timeout = 40_000 });
            await Assertions.Expect(status).ToContainTextAsync("被拒绝：现场为就地模式");
            await Assertions.Expect(pump).ToHaveAttributeAsync("data-state", "stopped");
            await Assertions.Expect(pump.Locator("button.start")).ToBeEnabledAsync(); // final: the pump may be commanded again
            await ShotAsync(page, "07-command-rejected-local-mode");
            Assert.False(await App.Stack.Simulator.PumpRunningAsync("st002", 1));
            await page.Context.CloseAsync();
        }
        finally
        {
            await App.Stack.Simulator.SetPhysicsAsync("st002", new { remote = true });
        }
    }

    /// <summary>
    /// The server's Content-Security-Policy (no inline script, never framed) leaves the app whole: the station list, a
    /// station page with its chart and energy table, the alarm screen — and the browser reports no violation.
    /// </summary>
    [Fact]
    public async Task ContentSecurityPolicy_AppWorksUnderIt_NoViolationReported()
    {
        var page = await App.NewPhoneAsync();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Content-Security-Policy", StringComparison.OrdinalIgnoreCase))
                violations.Add(message.Text);
        };
        await page.AddInitScriptAsync("document.addEventListener('securitypolicyviolation', e => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));");
        await SignInAsync(page, "viewer");
        await page.Locator(".station-row[data-station=st001]").ClickAsync();
        await Assertions.Expect(page.Locator(".chart[data-quantity=active_power] canvas, .chart[data-quantity=active_power] .muted:not(:has-text('正在加载'))")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await page.Locator(".tabs a[data-tab=alarms]").ClickAsync();
        await page.WaitForURLAsync("**/alarms");
        await Assertions.Expect(page.Locator(".alarm-list")).ToBeVisibleAsync();

        var csp = (await page.EvaluateAsync<string>("async () => (await fetch('/')).headers.get('content-security-policy')"))!;
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Empty(violations);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_OpensStation_StartStopButtonsDisabled()
    {
        var page = await App.NewPhoneAsync();
        await SignInAsync(page, "viewer");
        await Assertions.Expect(page.Locator(".who .role")).ToHaveTextAsync("只读用户");
        await page.Locator(".station-row[data-station=st001]").ClickAsync();
        var buttons = page.Locator(".pump-card button");
        await Assertions.Expect(buttons.First).ToBeVisibleAsync();
        Assert.True(await buttons.CountAsync() >= 2);
        foreach (var button in await buttons.AllAsync())
            await Assertions.Expect(button).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator(".pumps .note")).ToContainTextAsync("只能查看");
        // Telemetry completeness from the server's tracking: nothing missing on a healthy stack.
        await Assertions.Expect(page.Locator(".completeness h2")).ToHaveTextAsync("数据完整性");
        await Assertions.Expect(page.Locator(".completeness-summary")).ToContainTextAsync("数据完整：序号连续至");
        await ShotAsync(page, "08-viewer-station-page");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_WrongPassword_ShowsTheReasonInChinese()
    {
        var page = await App.NewPhoneAsync();
        await page.GotoAsync("/");
        await page.Locator("#username").FillAsync("nobody");
        await page.Locator("#password").FillAsync("wrong-password");
        await page.Locator("form.login-form button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator(".login-form .error")).ToHaveTextAsync("用户名或密码错误");
        await ShotAsync(page, "09-sign-in-refused");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task PhoneOffline_ShowsTheBanner_AndRecoversWhenBackOnline()
    {
        var page = await App.NewPhoneAsync();
        await SignInAsync(page, "viewer");
        await Assertions.Expect(page.Locator(".banners .banner")).ToHaveCountAsync(0);

        await page.Context.SetOfflineAsync(true);
        await Assertions.Expect(page.Locator(".banner.offline")).ToHaveTextAsync("手机已断网，显示的是最后收到的数据");
        await Assertions.Expect(page.Locator(".station-row[data-station=st001]")).ToBeVisibleAsync(); // the last data stays
        await ShotAsync(page, "10-offline-banner");

        await page.Context.SetOfflineAsync(false);
        await Assertions.Expect(page.Locator(".banners .banner")).ToHaveCountAsync(0, new() { Timeout = 40_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ServiceWorker_CachesTheShellButNeverTheApi_AndOpensOfflineFromTheCache()
    {
        const string CachedPaths = """
            async () => {
              const paths = [];
              for (const name of await caches.keys())
                for (const request of await (await caches.open(name)).keys()) paths.push(new URL(request.url).pathname);
              return paths;
            }
            """;
        var page = await App.NewPhoneAsync(serviceWorkers: true);
        await SignInAsync(page, "viewer");
        await page.EvaluateAsync("() => navigator.serviceWorker.ready.then(() => true)");
        await page.WaitForFunctionAsync("() => navigator.serviceWorker.controller !== null");

        // API traffic while the worker controls the page: a station, its values, history, the event stream.
        await page.Locator(".station-row[data-station=st001]").ClickAsync();
        await Assertions.Expect(page.Locator(".value[data-key=active_power]")).ToBeVisibleAsync(); // a key figure, on top (voltages are folded)
        await Assertions.Expect(page.Locator(".chart[data-quantity=active_power] canvas, .chart[data-quantity=active_power] .muted:not(:has-text('正在加载'))")).ToHaveCountAsync(1);

        var cached = await page.EvaluateAsync<string[]>(CachedPaths);
        Output.WriteLine("cached: " + string.Join(' ', cached));
        Assert.Contains("/", cached);
        Assert.Contains(cached, p => p.StartsWith("/assets/index-", StringComparison.Ordinal));
        Assert.Contains("/manifest.webmanifest", cached);
        Assert.DoesNotContain(cached, p => p.StartsWith("/api/", StringComparison.Ordinal));

        // No network: the shell still opens from the cache and says why there is no data.
        await page.Context.SetOfflineAsync(true);
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator(".no-network")).ToContainTextAsync("连不上服务器");
        await Assertions.Expect(page.Locator(".banner.offline")).ToBeVisibleAsync();
        await ShotAsync(page, "12-offline-start-from-cache");
        Assert.DoesNotContain(await page.EvaluateAsync<string[]>(CachedPaths), p => p.StartsWith("/api/", StringComparison.Ordinal));

        // Back online: the app signs in with the still valid session and shows the station again.
        await page.Context.SetOfflineAsync(false);
        await Assertions.Expect(page.Locator(".station-title")).ToContainTextAsync("001", new() { Timeout = 30_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task EnglishSwitch_Tapped_TranslatesAndIsRememberedAfterReload()
    {
        var page = await App.NewPhoneAsync();
        await SignInAsync(page, "operator");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");
        await page.Locator("button.lang").ClickAsync();
        await Assertions.Expect(page.Locator(".page-title")).ToContainTextAsync("Pump stations");
        await Assertions.Expect(page.Locator(".station-row[data-station=st001] .badge[data-status=online]")).ToHaveTextAsync("Online");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator(".page-title")).ToContainTextAsync("Pump stations");
        await page.Locator(".station-row[data-station=st001]").ClickAsync();
        await Assertions.Expect(page.Locator(".pumps h2")).ToHaveTextAsync("Pumps");
        await Assertions.Expect(page.Locator(".pump-card[data-pump='1'] button.start")).ToHaveTextAsync("Start");
        await ShotAsync(page, "11-english-station-page");

        await page.Locator("button.lang").ClickAsync();
        await Assertions.Expect(page.Locator(".pumps h2")).ToHaveTextAsync("水泵");
        await page.Context.CloseAsync();
    }
}
