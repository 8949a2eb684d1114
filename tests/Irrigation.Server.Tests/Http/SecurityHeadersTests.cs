using System.Net;

namespace Irrigation.Server.Tests;

/// <summary>
/// The real server process sends the browser-hardening headers on the web app and on the API: a CSP with no inline
/// script that forbids framing (a pump-control page must never be framed: clickjacking a confirm button is the attack),
/// no sniffing, no referrer; HSTS only when the deployment runs behind TLS (secure cookies on).
/// </summary>
public sealed class SecurityHeadersTests
{
    private static async Task<(HttpResponseMessage Page, HttpResponseMessage Api)> FetchAsync(bool secureCookies)
    {
        using var directory = new ScratchDirectory("headers");
        var port = FreePort.Next();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Irrigation__DataDirectory"] = directory.Path,
            ["Irrigation__Mqtt__Port"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Irrigation__Influx__Url"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Irrigation__Auth__SecureCookies"] = secureCookies ? "true" : "false",
        };
        await using var server = ManagedProcess.Start("irrigation-server", RepoPaths.Server, ["--urls", $"http://127.0.0.1:{port}/"], environment: environment, workingDirectory: directory.Path);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await HttpReadiness.WaitAsync(http, "health/live", HttpStatusCode.OK, TimeSpan.FromSeconds(60), "irrigation-server", () => server);
        var page = await http.GetAsync(new Uri("/", UriKind.Relative));
        var api = await http.GetAsync(new Uri("/api/stations", UriKind.Relative));
        return (page, api);
    }

    [Fact]
    public async Task WebAppAndApi_CspWithoutInlineScript_NeverFramed_NoSniff_NoReferrer_NoHstsOverPlainHttp()
    {
        var (page, api) = await FetchAsync(secureCookies: false);
        using (page)
        using (api)
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
            foreach (var response in new[] { page, api })
            {
                var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
                var directives = csp.Split(';').Select(d => d.Trim()).ToList();
                Assert.Contains("script-src 'self'", directives); // only the app's own files: no inline script, no eval
                Assert.Contains("default-src 'self'", directives);
                Assert.DoesNotContain("'unsafe-eval'", csp, StringComparison.Ordinal);
                Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
                Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
                Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
                Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
                Assert.False(response.Headers.Contains("Strict-Transport-Security"));
            }

            // The app's page itself has no inline script the policy would block.
            var html = await page.Content.ReadAsStringAsync();
            Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)[^>]*>", html);
        }
    }

    [Fact]
    public async Task SecureCookies_HstsSent()
    {
        var (page, api) = await FetchAsync(secureCookies: true);
        using (page)
        using (api)
            Assert.Equal("max-age=31536000", Assert.Single(page.Headers.GetValues("Strict-Transport-Security")));
    }
}
