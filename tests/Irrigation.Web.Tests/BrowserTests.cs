using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Irrigation.Web.Tests;

/// <summary>What every browser test class has: its system and browser, the test output, and screenshots named in it.</summary>
public abstract class BrowserTests<TFixture>
    where TFixture : WebAppFixture
{
    protected BrowserTests(TFixture app, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(output);
        App = app;
        Output = output;
        Output.WriteLine($"screenshots: {App.ScreenshotDirectory}");
    }

    protected TFixture App { get; }

    protected ITestOutputHelper Output { get; }

    protected async Task ShotAsync(IPage page, string name, bool fullPage = false) =>
        Output.WriteLine($"screenshot {await App.ScreenshotAsync(page, name, fullPage)}");
}
