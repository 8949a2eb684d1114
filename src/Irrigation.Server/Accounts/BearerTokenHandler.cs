using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Irrigation.Server.Http;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Accounts;

/// <summary>Authenticates <c>Authorization: Bearer irr_…</c> against the token table (hash look-up, expiry, user enabled).</summary>
public sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, UserStore users)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "token";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.NoResult());
        var user = users.FindByToken(header["Bearer ".Length..].Trim());
        if (user is null)
            return Task.FromResult(AuthenticateResult.Fail("unknown or expired token"));
        var identity = new ClaimsIdentity(AccountClaims.For(user, csrf: null), SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "unauthenticated", "Unauthenticated", "Sign in, or send a valid bearer token.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden", "Forbidden", "Your role does not allow this.");
}

/// <summary>The claims a signed-in user carries.</summary>
public static class AccountClaims
{
    public const string SecurityStamp = "irrigation:stamp";
    public const string Csrf = "irrigation:csrf";
    public const string DisplayName = "irrigation:display";

    public static IEnumerable<Claim> For(UserAccount user, string? csrf)
    {
        ArgumentNullException.ThrowIfNull(user);
        yield return new Claim(ClaimTypes.Name, user.Username);
        yield return new Claim(ClaimTypes.Role, user.Role);
        yield return new Claim(DisplayName, user.DisplayName);
        yield return new Claim(SecurityStamp, user.SecurityStamp);
        if (csrf is not null)
            yield return new Claim(Csrf, csrf);
    }
}
