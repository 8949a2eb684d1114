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
        // The other browser tests stop st001's pump 1 by hand; this plan runs it anyway.
        await page.Locator("input[name=override]").CheckAsync();
        await page.Locator("[data-action=save]").ClickAsync();

        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/plans/p[0-9a-f]+$"));
        await Assertions.Expect(page.Locator(".plan-title")).ToContainTextAsync("浏览器轮灌");
        await Assertions.Expect(page.Locator(".plan-steps li")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".plan-when")).ToContainTextAsync("轮灌");
        await Assertions.Expect(page.Locator(".plan-estimate")).ToContainTextAsync("kWh");
        await ShotAsync(page, "31-plan-detail", fullPage: true);

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
    }
}
