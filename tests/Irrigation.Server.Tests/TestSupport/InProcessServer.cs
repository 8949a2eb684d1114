using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Irrigation.Server.Tests.TestSupport;

/// <summary>
/// The server in-process (WebApplicationFactory) with its own data directory, an operator and a viewer, nothing
/// listening for MQTT or InfluxDB, and a clock the test moves (<see cref="Clock"/>: cookie sessions, tokens, lockouts).
/// Extra settings (e.g. <c>Irrigation:Database:*</c> for PostgreSQL) are added to or replace those.
/// </summary>
public sealed class InProcessServer : WebApplicationFactory<Program>
{
    private readonly ScratchDirectory _directory = new("api-shape");

    /// <summary>Settings added to or replacing the defaults (an init property: xunit wants one parameterless constructor for a class fixture).</summary>
    public IReadOnlyDictionary<string, string> ExtraSettings { get; init; } = new Dictionary<string, string>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = new Dictionary<string, string>
        {
            ["Irrigation:DataDirectory"] = _directory.Path,
            ["Irrigation:ProfilesDirectory"] = Path.Combine(RepoPaths.Root, "profiles"),
            ["Irrigation:Mqtt:Port"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Irrigation:Influx:Url"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Irrigation:Auth:PasswordIterations"] = "10000",
            ["Irrigation:Auth:Users:0:Username"] = "operator",
            ["Irrigation:Auth:Users:0:Password"] = "operator-password",
            ["Irrigation:Auth:Users:0:Role"] = "operator",
            ["Irrigation:Auth:Users:1:Username"] = "viewer",
            ["Irrigation:Auth:Users:1:Password"] = "viewer-password",
            ["Irrigation:Auth:Users:1:Role"] = "viewer",
        };
        foreach (var (key, value) in settings.Concat(ExtraSettings))
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>The server's clock: real time until a test moves it.</summary>
    public TestClock Clock { get; } = new();

    public async Task<HttpClient> SignInAsync(string user)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { username = user, password = $"{user}-password" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var session = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
        client.DefaultRequestHeaders.Add("X-CSRF-Token", session["csrfToken"]!.GetValue<string>());
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            _directory.Dispose();
    }
}

/// <summary>Real time plus an offset a test advances.</summary>
public sealed class TestClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
