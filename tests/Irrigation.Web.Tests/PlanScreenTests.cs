using System.Globalization;
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
