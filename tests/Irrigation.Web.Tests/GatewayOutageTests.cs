using Irrigation.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Irrigation.Web.Tests;

/// <summary>
/// The gateway stops (its own system, so the other browser tests keep theirs): the phone shows the station offline,
/// the data is marked stale after the server's threshold (5 s here, in the server's words), a start is refused in
/// plain words and nothing runs; the station comes back when the gateway does.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class GatewayOutageTests : BrowserTests<GatewayOutageTests.OutageFixture>, IClassFixture<GatewayOutageTests.OutageFixture>
{
    /// <summary>Its own system (the gateway is stopped) with a 5-second stale threshold.</summary>
    public sealed class OutageFixture : WebAppFixture
    {
        protected override void Configure(SystemStackOptions options) =>
            options.ServerEnvironment["Irrigation__Api__StaleAfter"] = "00:00:05";
    }

    public GatewayOutageTests(OutageFixture app, ITestOutputHelper output)
        : base(app, output)
    {
    }

    [Fact]
    public async Task GatewayStopped_StationShownOfflineAndStale_StartRefusedInPlainChinese()
    {
        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "operator");
        await page.Locator(".station-row[data-station=st001]").ClickAsync();
        await Assertions.Expect(page.Locator(".head-badges .badge[data-status]")).ToHaveTextAsync("在线");

        await App.Stack.StopGatewayAsync();
        await Assertions.Expect(page.Locator(".head-badges .badge[data-status]")).ToHaveTextAsync("离线", new() { Timeout = 30_000 });
        // The stale threshold is the server's (sent with the session), not a fixed 3 minutes.
        await Assertions.Expect(page.Locator(".badge.stale")).ToHaveTextAsync("⚠ 数据过时：超过5秒未收到现场数据", new() { Timeout = 30_000 });

        var pump = page.Locator(".pump-card[data-pump='1']");
        await pump.Locator("button.start").ClickAsync();
        await page.Locator("dialog.confirm button[data-action=confirm]").ClickAsync();
        await Assertions.Expect(pump.Locator(".cmd-status")).ToContainTextAsync("未执行：机埠离线或数据过时，不能下发命令");
        await Assertions.Expect(pump.Locator("button.start")).ToBeEnabledAsync(); // refused: nothing pending
        await ShotAsync(page, "13-gateway-offline-refused");
        Assert.False(await App.Stack.Simulator.PumpRunningAsync("st001", 1));

        await App.Stack.StartGatewayAsync();
        await Assertions.Expect(page.Locator(".head-badges .badge[data-status]")).ToHaveTextAsync("在线", new() { Timeout = 60_000 });
        Assert.False(await App.Stack.Simulator.PumpRunningAsync("st001", 1)); // the refused start never acts later
        await page.Context.CloseAsync();
    }
}
