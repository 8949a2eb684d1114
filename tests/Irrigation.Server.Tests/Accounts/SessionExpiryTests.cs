using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests;

/// <summary>
/// Sessions and API tokens end by time (Auth:SessionLifetime 8 h sliding, Auth:TokenLifetime 30 days): the server's
/// clock is moved, nobody waits. A phone left signed in in a cabinet stops working on its own.
/// </summary>
public sealed class SessionExpiryTests : IDisposable
{
    private readonly InProcessServer _server = new();

    public void Dispose() => _server.Dispose();

    private static async Task<HttpStatusCode> MeAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/api/auth/me", UriKind.Relative));
        return response.StatusCode;
    }

    [Fact]
    public async Task CookieSession_SlidesWhileUsed_EndsAfterEightIdleHours()
    {
        using var viewer = await _server.SignInAsync("viewer");
        Assert.Equal(HttpStatusCode.OK, await MeAsync(viewer));

        _server.Clock.Advance(TimeSpan.FromHours(5)); // past half its life: this use renews it
        Assert.Equal(HttpStatusCode.OK, await MeAsync(viewer));
        _server.Clock.Advance(TimeSpan.FromHours(5)); // 10 h after sign-in, 5 h after the last use
        Assert.Equal(HttpStatusCode.OK, await MeAsync(viewer));

        _server.Clock.Advance(TimeSpan.FromHours(8) + TimeSpan.FromMinutes(1)); // idle longer than the lifetime
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(viewer));
    }

    [Fact]
    public async Task BearerToken_WorksUntilItsExpiry_ThenRefused()
    {
        using var anonymous = _server.CreateClient();
        using var created = await anonymous.PostAsJsonAsync("/api/auth/tokens", new { username = "operator", password = "operator-password", name = "scada" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(token["expiresAt"]!.GetValue<long>());
        Assert.InRange(expiresAt - _server.Clock.GetUtcNow(), TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(30));

        using var api = _server.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token["token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, await MeAsync(api));
        _server.Clock.Advance(TimeSpan.FromDays(29));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(api));
        _server.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(api));
    }
}
