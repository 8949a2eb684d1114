using Irrigation.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Irrigation.Web.Tests;

/// <summary>Its own system with short command times: a 5-second lifetime and 2 seconds' grace for the gateway's answer.</summary>
public sealed class CommandTimeoutFixture : WebAppFixture
{
    protected override void Configure(SystemStackOptions options)
    {
        options.ServerEnvironment["Irrigation__Commands__Lifetime"] = "00:00:05";
        options.ServerEnvironment["Irrigation__Commands__ResultGrace"] = "00:00:02";
    }
}

/// <summary>
/// A hung gateway (SIGSTOP) never answers: the phone keeps the pump's buttons disabled while the command is open, then
/// says 超时未执行 in plain words and enables them again; the pump shown stays 停止, and it never starts after the
/// gateway wakes up and finds the command expired.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CommandTimeoutTests : BrowserTests<CommandTimeoutFixture>, IClassFixture<CommandTimeoutFixture>
{
    public CommandTimeoutTests(CommandTimeoutFixture app, ITestOutputHelper output)
        : base(app, output)
    {
    }

    [Fact]
    public async Task GatewayHung_StartShownPendingWithButtonsDisabled_ThenTimedOutInPlainChinese_PumpNeverStarts()
    {
        var page = await App.NewPhoneAsync();
        await WebAppTests.SignInAsync(page, "operator");
        await page.Locator(".station-row[data-station=st001]").ClickAsync();
        await Assertions.Expect(page.Locator(".head-badges .badge[data-status]")).ToHaveTextAsync("在线");
        var pump = page.Locator(".pump-card[data-pump='1']");
        await Assertions.Expect(pump).ToHaveAttributeAsync("data-state", "stopped");

        App.Stack.SuspendGateway();
        try
        {
            await pump.Locator("button.start").ClickAsync();
            await page.Locator("dialog.confirm button[data-action=confirm]").ClickAsync();

            // Open: both buttons disabled, so nobody sends a second command for this pump.
            await Assertions.Expect(pump.Locator("button.start")).ToBeDisabledAsync();
            await Assertions.Expect(pump.Locator("button.stop")).ToBeDisabledAsync();
            var status = pump.Locator(".cmd-status");
            await Assertions.Expect(status).ToContainTextAsync("超时未执行", new() { Timeout = 30_000 });
            await Assertions.Expect(pump.Locator("button.start")).ToBeEnabledAsync();
            await Assertions.Expect(pump).ToHaveAttributeAsync("data-state", "stopped");
            await ShotAsync(page, "19-command-timed-out");
        }
        finally
        {
            App.Stack.ResumeGateway();
        }

        // The gateway wakes, finds the command in its session, judges it by its expiry: the pump never starts.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.False(await App.Stack.Simulator.PumpRunningAsync("st001", 1));
        await Assertions.Expect(pump).ToHaveAttributeAsync("data-state", "stopped");
        await page.Context.CloseAsync();
    }
}
