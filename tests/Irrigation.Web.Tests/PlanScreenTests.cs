using System.Globalization;
using System.Net.Http.Json;
using Irrigation.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Irrigation.Web.Tests;

/// <summary>
/// Irrigation plans on a phone (360×740, Chinese) against the whole running system: an operator creates a rotation of
/// two stations in the form, sees it on the station page, and sees each run's outcome arrive from the gateway, which runs
/// the plan itself; a viewer reads plans but cannot create one.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PlanScreenTests : BrowserTests<WebAppFixture>, IClassFixture<WebAppFixture>
{
    public PlanScreenTests(WebAppFixture app, ITestOutputHelper output)
        : base(app, output)
    {
    }

    [Fact]
    public async Task Operator_CreatesARotationPlan_SeesItOnTheStationPage_AndEachRunsOutcome()
    {
        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "operator");
        await page.Locator("nav .tab[data-tab=plans]").ClickAsync();
        await page.WaitForURLAsync("**/plans");
        await Assertions.Expect(page.Locator(".page-title")).ToHaveTextAsync("灌溉计划");
        await page.Locator("[data-action=new-plan]").ClickAsync();
        await page.WaitForURLAsync("**/plans/new");
        await Assertions.Expect(page.Locator(".page-title")).ToHaveTextAsync("新建灌溉计划");
        await Assertions.Expect(page.Locator(".tariff-today .tariff-chip.valley").First).ToBeVisibleAsync();

        // The plan prefers valley hours: one tap moves its start to the day's longest valley period (00:00-07:00 by default).
        await page.Locator("[data-action=valley]").ClickAsync();
        await Assertions.Expect(page.Locator("input[name=start]")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^00:00(:00)?$"));

        // Two stations in rotation, six seconds each, six seconds apart, starting half a minute from now (Beijing time).
        var start = DateTimeOffset.UtcNow.AddSeconds(30).ToOffset(TimeSpan.FromHours(8));
        await page.Locator("input[name=name]").FillAsync("浏览器轮灌");
        await page.Locator("input[name=start]").FillAsync(start.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
        await page.Locator("input[name=gap]").FillAsync("0.1");
        await page.Locator("select[name=station1]").SelectOptionAsync("st001");
        await page.Locator("input[name=minutes1]").FillAsync("0.1");
        await page.Locator("[data-action=add-step]").ClickAsync();
        await page.Locator("select[name=station2]").SelectOptionAsync("st002");
        await page.Locator("input[name=minutes2]").FillAsync("0.1");
        await ShotAsync(page, "30-plan-form", fullPage: true);
        await AssertTouchTargetsAsync(page, "plan form");
        // The other browser tests stop st001's pump 1 by hand; this plan runs it anyway.
        await page.Locator("input[name=override]").CheckAsync();
        await page.Locator("[data-action=save]").ClickAsync();

        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/plans/p[0-9a-f]+$"));
        await Assertions.Expect(page.Locator(".plan-title")).ToContainTextAsync("浏览器轮灌");
        await Assertions.Expect(page.Locator(".plan-steps li")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".plan-when")).ToContainTextAsync("轮灌");
        await Assertions.Expect(page.Locator(".plan-estimate")).ToContainTextAsync("kWh");
        await ShotAsync(page, "31-plan-detail", fullPage: true);
        await AssertTouchTargetsAsync(page, "plan page");

        // The station page shows today's run of the plan, then its outcome from the gateway.
        await page.GotoAsync("/stations/st001");
        var run = page.Locator(".plan-timeline .runs.today .run", new() { HasText = "浏览器轮灌" });
        await Assertions.Expect(run).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Assertions.Expect(run).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 90_000 });
        await Assertions.Expect(run.Locator(".run-state")).ToHaveTextAsync("已完成");
        await ShotAsync(page, "32-station-plan-timeline", fullPage: true);

        // The plan's run history shows both stations completed, in order.
        await page.GotoAsync("/plans");
        await page.Locator(".plan-card", new() { HasText = "浏览器轮灌" }).ClickAsync();
        var history = page.Locator(".runs.history .run");
        await Assertions.Expect(history).ToHaveCountAsync(2, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".runs.history .run[data-state=completed]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
        await ShotAsync(page, "33-plan-runs", fullPage: true);

        // An overlapping plan for the same pump is refused in plain Chinese, naming the other plan.
        await page.GotoAsync("/plans/new");
        await page.Locator("input[name=name]").FillAsync("重叠的计划");
        await page.Locator("input[name=start]").FillAsync(start.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
        await page.Locator("select[name=station1]").SelectOptionAsync("st002");
        await page.Locator("input[name=minutes1]").FillAsync("5");
        await page.Locator("[data-action=save]").ClickAsync();
        await Assertions.Expect(page.Locator(".plan-form .error")).ToContainTextAsync("与计划「浏览器轮灌」冲突");
        await ShotAsync(page, "34-plan-overlap-refused");
    }

    [Fact]
    public async Task Operator_EditsPausesAndResumesAPlan_AlsoInEnglish()
    {
        using var api = await App.Stack.SignInAsync("operator");
        using var created = await api.PostAsJsonAsync(new Uri("api/plans", UriKind.Relative), new
        {
            name = "凌晨补水",
            mode = "together",
            seasonFrom = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            seasonTo = DateTimeOffset.UtcNow.AddDays(300).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            days = new[] { 1 },
            start = "03:00",
            startGapSeconds = 0,
            steps = new[] { new { station = "st001", pump = 2, durationSeconds = 3600 } },
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var id = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "operator");
        await page.GotoAsync($"/plans/{id}");
        await Assertions.Expect(page.Locator(".plan-title")).ToContainTextAsync("凌晨补水");
        await Assertions.Expect(page.Locator(".plan-title .badge")).ToHaveTextAsync("执行中");

        // Edit: the form comes filled in; 60 minutes become 45.
        await page.Locator("[data-action=edit]").ClickAsync();
        await page.WaitForURLAsync($"**/plans/{id}/edit");
        await Assertions.Expect(page.Locator("input[name=name]")).ToHaveValueAsync("凌晨补水");
        await Assertions.Expect(page.Locator("input[name=minutes1]")).ToHaveValueAsync("60");
        await page.Locator("input[name=minutes1]").FillAsync("45");
        await page.Locator("[data-action=save]").ClickAsync();
        await page.WaitForURLAsync($"**/plans/{id}");
        await Assertions.Expect(page.Locator(".plan-steps li")).ToContainTextAsync("45 分钟");
        await Assertions.Expect(page.Locator(".revisions li").First).ToContainTextAsync("第2版 · 修改 · operator");

        // Pause and resume.
        await page.Locator("[data-action=pause]").ClickAsync();
        await Assertions.Expect(page.Locator(".plan-title .badge")).ToHaveTextAsync("已暂停");
        await Assertions.Expect(page.Locator(".revisions li").First).ToContainTextAsync("暂停");

        // In English: the same page, then resumed.
        await page.Locator("button.lang").ClickAsync();
        await Assertions.Expect(page.Locator(".plan-title .badge")).ToHaveTextAsync("Paused", new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("nav .tab[data-tab=plans]")).ToHaveTextAsync("Plans");
        await page.Locator("[data-action=resume]").ClickAsync();
        await Assertions.Expect(page.Locator(".plan-title .badge")).ToHaveTextAsync("Active");
        await Assertions.Expect(page.Locator(".plan-when")).ToContainTextAsync("Together");
        await ShotAsync(page, "35-plan-english", fullPage: true);
        await page.Locator("button.lang").ClickAsync(); // back to Chinese for the other tests' pages (stored per browser context anyway)

        // The station page lists the plan's next run (Monday 03:00) under 后续运行.
        await page.GotoAsync("/stations/st001");
        var next = page.Locator(".plan-timeline .runs.next .run", new() { HasText = "凌晨补水" });
        await Assertions.Expect(next.First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(next.First.Locator(".run-time")).ToContainTextAsync("03:00–03:45");
        await Assertions.Expect(next.First).ToHaveAttributeAsync("data-state", "planned");
    }

    [Fact]
    public async Task GatewayDownWhilePlansChange_StationPageAndPlanListSayItRunsAnOlderVersion_UntilItCatchesUp()
    {
        using var api = await App.Stack.SignInAsync("operator");
        using var created = await api.PostAsJsonAsync(new Uri("api/plans", UriKind.Relative), new
        {
            name = "周二补水",
            mode = "together",
            seasonFrom = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            seasonTo = DateTimeOffset.UtcNow.AddDays(300).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            days = new[] { 2 },
            start = "04:00",
            startGapSeconds = 0,
            steps = new[] { new { station = "st002", pump = 2, durationSeconds = 3600 } },
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var id = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await WaitForSyncAsync(api, behind: false);

        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "operator");
        await App.Stack.StopGatewayAsync();
        try
        {
            // The plan is paused while the gateway is down: the server sends a new version that nobody confirms.
            using (var pause = await api.PostAsync(new Uri($"api/plans/{id}/pause", UriKind.Relative), null))
                Assert.Equal(System.Net.HttpStatusCode.OK, pause.StatusCode);
            await WaitForSyncAsync(api, behind: true);

            await page.GotoAsync("/stations/st002");
            await Assertions.Expect(page.Locator(".plan-timeline .plan-sync[data-behind]")).ToContainTextAsync("还在执行旧版计划", new() { Timeout = 20_000 });
            await Assertions.Expect(page.Locator(".head-badges .badge[data-status]")).ToHaveTextAsync("离线", new() { Timeout = 30_000 });
            await ShotAsync(page, "36-plan-gateway-behind", fullPage: true);
            await page.GotoAsync("/plans");
            await Assertions.Expect(page.Locator(".plan-sync[data-behind]")).ToContainTextAsync("还在执行旧版计划");
        }
        finally
        {
            await App.Stack.StartGatewayAsync();
        }

        // Back, the gateway takes the newest set (retained on the broker) and the warning goes.
        await WaitForSyncAsync(api, behind: false);
        await page.GotoAsync("/stations/st002");
        await Assertions.Expect(page.Locator(".plan-timeline h2")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".plan-sync")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    /// <summary>Waits until every gateway the server sent plans to runs the newest version (or, with <paramref name="behind"/>, until one does not).</summary>
    private static async Task WaitForSyncAsync(HttpClient api, bool behind) =>
        await Irrigation.Testing.Waiting.Poll.UntilAsync(
            async () => System.Text.Json.Nodes.JsonNode.Parse(await api.GetStringAsync(new Uri("api/plans/sync", UriKind.Relative)))!.AsArray(),
            sets => sets.Count > 0 && (behind ? sets.Any(x => x!["behind"]!.GetValue<bool>()) : sets.All(x => !x!["behind"]!.GetValue<bool>())),
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250));

    /// <summary>Every visible control of the page (buttons, fields, choices, the back link, cards, tabs) is at least 44 px tall.</summary>
    private async Task AssertTouchTargetsAsync(IPage page, string what)
    {
        var small = await page.EvaluateAsync<string[]>(
            """
            () => [...document.querySelectorAll('main button, main .button, main select, main input:not([type=checkbox]):not([type=radio]), main label.choice, main label.day, main a.back, main .plan-card, nav .tab')]
              .filter(e => e.offsetParent !== null)
              .map(e => ({ e, r: e.getBoundingClientRect() }))
              .filter(x => x.r.height < 44)
              .map(x => `${x.e.tagName.toLowerCase()}.${[...x.e.classList].join('.')} "${(x.e.getAttribute('name') || x.e.textContent || '').trim().slice(0, 20)}" ${x.r.height.toFixed(0)} px`)
            """);
        var count = await page.EvaluateAsync<int>("() => document.querySelectorAll('main button, main .button, main select, main input, main label.choice, main label.day, main a.back, main .plan-card, nav .tab').length");
        Output.WriteLine($"{what}: {count} controls, {small.Length} under 44 px");
        Assert.True(small.Length == 0, $"{what}: controls under 44 px: {string.Join("; ", small)}");
    }

    [Fact]
    public async Task Viewer_ReadsPlans_CannotCreateOne()
    {
        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "viewer");
        await page.GotoAsync("/plans");
        await Assertions.Expect(page.Locator(".page-title")).ToHaveTextAsync("灌溉计划");
        await Assertions.Expect(page.Locator("[data-action=new-plan]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("只读用户只能查看计划");

        // A plan's page: read, with no edit, pause or delete.
        using var api = await App.Stack.SignInAsync("operator");
        using var created = await api.PostAsJsonAsync(new Uri("api/plans", UriKind.Relative), new
        {
            name = "周四补水",
            mode = "together",
            seasonFrom = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            seasonTo = DateTimeOffset.UtcNow.AddDays(300).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            days = new[] { 4 },
            start = "04:00",
            startGapSeconds = 0,
            steps = new[] { new { station = "st002", pump = 2, durationSeconds = 3600 } },
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var id = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await page.GotoAsync($"/plans/{id}");
        await Assertions.Expect(page.Locator(".plan-title")).ToContainTextAsync("周四补水");
        await Assertions.Expect(page.Locator(".plan-steps li")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-action=edit], [data-action=pause], [data-action=resume], [data-action=delete]")).ToHaveCountAsync(0);
    }
}
