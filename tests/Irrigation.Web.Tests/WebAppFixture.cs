using Irrigation.Testing;
using Microsoft.Playwright;

namespace Irrigation.Web.Tests;

/// <summary>
/// One whole system for the browser tests (mosquitto, influxd, firmware-sim, gateway, server serving the built
/// web app) and Debian's headless Chromium driven by Playwright. Screenshots go to $IRRIGATION_SCREENSHOTS, or
/// .test-run/screenshots/ in the repository.
/// </summary>
public class WebAppFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public SystemStack Stack { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string ScreenshotDirectory { get; } = Path.GetFullPath(
        Environment.GetEnvironmentVariable("IRRIGATION_SCREENSHOTS") is { Length: > 0 } dir ? dir : Path.Combine(RepoPaths.Root, ".test-run", "screenshots"));

    public async Task InitializeAsync()
    {
        // A missing browser is a failure with the fix in the message, never a skip.
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is required for the browser tests and was not found. Install it with: apt-get install -y chromium (./test.sh does this).");
        var index = Path.Combine(RepoPaths.Root, "src", "Irrigation.Server", "wwwroot", "index.html");
        if (!File.Exists(index))
            throw new InvalidOperationException($"{index} is missing: build the web app first (cd src/Irrigation.Web && npm ci && npm run build; ./test.sh does).");
        Directory.CreateDirectory(ScreenshotDirectory);

        // The server serves the copy made when it was built; point it at the newest npm build instead.
        var options = new SystemStackOptions();
        options.ServerEnvironment["IRRIGATION_WEBROOT"] = Path.GetDirectoryName(index)!;
        Configure(options);
        Stack = await SystemStack.StartAsync("web", options);
        await Stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(60));

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>Settings of this fixture's system beyond the defaults (a test class with its own fixture overrides it).</summary>
    protected virtual void Configure(SystemStackOptions options)
    {
    }

    /// <summary>A fresh phone-sized browser context (own cookies, storage and caches) in Chinese, China time.</summary>
    public async Task<IPage> NewPhoneAsync(bool serviceWorkers = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Stack.ServerUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 360, Height = 740 },
            DeviceScaleFactor = 2,
            IsMobile = true,
            HasTouch = true,
            Locale = "zh-CN",
            TimezoneId = "Asia/Shanghai",
            // Blocked unless a test is about the service worker: then every request reaches the real server.
            ServiceWorkers = serviceWorkers ? ServiceWorkerPolicy.Allow : ServiceWorkerPolicy.Block,
        });
        context.SetDefaultTimeout(20_000);
        // Expect(...) has its own 5 s default, which the context's timeout does not change; pages that wait for an
        // InfluxDB query on a loaded machine get the same 20 s as every other action.
        Assertions.SetDefaultExpectTimeout(20_000);
        return await context.NewPageAsync();
    }

    /// <summary>Saves the page as a PNG: the whole page, or only what the phone's screen shows.</summary>
    public async Task<string> ScreenshotAsync(IPage page, string name, bool fullPage)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        return path;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Stack is not null)
            await Stack.DisposeAsync();
    }
}
