using Microsoft.AspNetCore.Http.HttpResults;
using System.Security.Claims;
using System.Security.Cryptography;
using Irrigation.Server.Audit;
using Irrigation.Server.State;
using Microsoft.Extensions.Options;
using Irrigation.Server.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Irrigation.Server.Accounts;

public sealed record SignInRequest(string? Username, string? Password);

public sealed record TokenRequest(string? Username, string? Password, string? Name);

/// <summary>The signed-in user, the CSRF token for changes, and after how long the app should call a station's data stale.</summary>
public sealed record SessionResponse(string Username, string DisplayName, string Role, string? CsrfToken, long StaleAfterMs);

public sealed record TokenResponse(string Token, long ExpiresAt);

public sealed record CreateUserRequest(string? Username, string? DisplayName, string? Role, string? Password);

public sealed record UpdateUserRequest(string? DisplayName, string? Role, string? Password, bool? Disabled);

public sealed record UserResponse(string Username, string DisplayName, string Role, bool Disabled, long CreatedAt, long UpdatedAt)
{
    public static UserResponse From(UserAccount u) => new(u.Username, u.DisplayName, u.Role, u.Disabled, u.CreatedMs, u.UpdatedMs);
}

/// <summary>Sign-in, sign-out, the current session, bearer tokens; users and the audit trail for admins.</summary>
public static class AccountsApi
{
    public static void MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        auth.MapPost("/login", SignInAsync).RequireRateLimiting(AuthenticationSetup.SignInRateLimit).AllowAnonymous();
        auth.MapPost("/tokens", CreateToken).RequireRateLimiting(AuthenticationSetup.SignInRateLimit).AllowAnonymous();
        auth.MapPost("/logout", SignOutAsync).RequireAuthorization();
        auth.MapGet("/me", (ClaimsPrincipal user, IOptions<ApiOptions> options) => TypedResults.Ok(Session(user, options.Value))).RequireAuthorization();

        var users = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(Roles.CanAdminister);
        users.MapGet("/", (UserStore store) => TypedResults.Ok(store.List().Select(UserResponse.From)));
        users.MapPost("/", CreateUser);
        users.MapPatch("/{username}", UpdateUser);

        app.MapGet("/api/audit", (AuditLog audit, string? station, string? actor, string? action, int? limit) =>
                TypedResults.Ok(audit.Query(station, actor, action, limit ?? 200)))
            .WithTags("Audit").RequireAuthorization(Roles.CanAdminister);
    }

    private static ProblemHttpResult Check(SignInResult result, string username, HttpContext context, AuditLog audit, string action)
    {
        switch (result.Status)
        {
            case SignInStatus.LockedOut:
                audit.Write(username, action, "locked_out", address: AuditLog.Address(context));
                var seconds = Math.Max(1, (int)Math.Ceiling((result.LockedUntil!.Value - DateTimeOffset.UtcNow).TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Problems.Create(StatusCodes.Status429TooManyRequests, "locked_out", "Account locked",
                    "Too many failed sign-ins; the account is locked for a while.", new Dictionary<string, object?> { ["lockedUntil"] = result.LockedUntil.Value.ToUnixTimeMilliseconds() });
            case SignInStatus.InvalidCredentials:
                audit.Write(username, action, "invalid_credentials", address: AuditLog.Address(context));
                return Problems.Create(StatusCodes.Status401Unauthorized, "invalid_credentials", "Sign-in failed", "Wrong user name or password.");
            default:
                throw new ArgumentException($"sign-in {result.Status} is not a refusal", nameof(result));
        }
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> SignInAsync(SignInRequest? request, HttpContext context, UserStore users, AuditLog audit, IOptions<ApiOptions> options)
    {
        if (request is null || string.IsNullOrEmpty(request.Username) || request.Password is null)
            return Problems.BadRequest("invalid_request", "Send {\"username\": …, \"password\": …}.");
        var result = users.SignIn(request.Username, request.Password);
        if (result.Status != SignInStatus.Succeeded)
            return Check(result, request.Username, context, audit, "auth.login");

        var user = result.User!;
        var csrf = UserStore.Base64Url(RandomNumberGenerator.GetBytes(24));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(AccountClaims.For(user, csrf), CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role));
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, new AuthenticationProperties { IsPersistent = true });
        audit.Write(user.Username, "auth.login", "succeeded", address: AuditLog.Address(context));
        return TypedResults.Ok(new SessionResponse(user.Username, user.DisplayName, user.Role, csrf, (long)options.Value.StaleAfter.TotalMilliseconds));
    }

    private static Results<Created<TokenResponse>, ProblemHttpResult> CreateToken(TokenRequest? request, HttpContext context, UserStore users, AuditLog audit)
    {
        if (request is null || string.IsNullOrEmpty(request.Username) || request.Password is null)
            return Problems.BadRequest("invalid_request", "Send {\"username\": …, \"password\": …, \"name\": …}.");
        var result = users.SignIn(request.Username, request.Password);
        if (result.Status != SignInStatus.Succeeded)
            return Check(result, request.Username, context, audit, "auth.token");
        var (token, expires) = users.CreateToken(result.User!.Username, request.Name ?? "api");
        audit.Write(result.User.Username, "auth.token", "succeeded", detail: request.Name, address: AuditLog.Address(context));
        return TypedResults.Created((string?)null, new TokenResponse(token, expires.ToUnixTimeMilliseconds()));
    }

    private static async Task<NoContent> SignOutAsync(HttpContext context, AuditLog audit)
    {
        audit.Write(context, "auth.logout", "succeeded");
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }

    private static SessionResponse Session(ClaimsPrincipal user, ApiOptions options) => new(
        user.Identity!.Name!, user.FindFirst(AccountClaims.DisplayName)?.Value ?? user.Identity.Name!, user.FindFirst(ClaimTypes.Role)?.Value ?? Roles.Viewer, user.Csrf(),
        (long)options.StaleAfter.TotalMilliseconds);

    private static Results<Created<UserResponse>, ProblemHttpResult> CreateUser(CreateUserRequest? request, HttpContext context, UserStore users, AuditLog audit)
    {
        if (request is null)
            return Problems.BadRequest("invalid_request", "Send {\"username\", \"displayName\", \"role\", \"password\"}.");
        try
        {
            var user = users.Create(request.Username ?? "", request.DisplayName, request.Role ?? "", request.Password ?? "");
            audit.Write(context, "user.create", "succeeded", detail: $"{user.Username} as {user.Role}");
            return TypedResults.Created($"/api/users/{Uri.EscapeDataString(user.Username)}", UserResponse.From(user));
        }
        catch (UserChangeException ex)
        {
            audit.Write(context, "user.create", "refused", detail: $"{request.Username}: {ex.Code}");
            return ex.Code == "user_exists" ? Problems.Conflict(ex.Code, ex.Message) : Problems.BadRequest(ex.Code, ex.Message);
        }
    }

    private static Results<Ok<UserResponse>, ProblemHttpResult> UpdateUser(string username, UpdateUserRequest? request, HttpContext context, UserStore users, AuditLog audit)
    {
        if (request is null)
            return Problems.BadRequest("invalid_request", "Send the fields to change.");
        if (string.Equals(username, context.User.Identity?.Name, StringComparison.OrdinalIgnoreCase) && (request.Disabled == true || request.Role is not null && request.Role != Roles.Admin))
            return Problems.Conflict("cannot_demote_self", "An admin cannot disable or demote themselves; ask another admin.");
        try
        {
            var user = users.Update(username, request.DisplayName, request.Role, request.Password, request.Disabled);
            if (request.Password is not null || request.Disabled == true)
                users.RevokeTokens(user.Username);
            var changed = string.Join(", ", new[] { request.DisplayName is null ? null : "displayName", request.Role is null ? null : $"role={request.Role}", request.Password is null ? null : "password", request.Disabled is null ? null : $"disabled={request.Disabled}" }.Where(s => s is not null));
            audit.Write(context, "user.update", "succeeded", detail: $"{user.Username}: {changed}");
            return TypedResults.Ok(UserResponse.From(user));
        }
        catch (UserChangeException ex)
        {
            audit.Write(context, "user.update", "refused", detail: $"{username}: {ex.Code}");
            return ex.Code == "user_not_found" ? Problems.NotFound(ex.Code, ex.Message) : Problems.BadRequest(ex.Code, ex.Message);
        }
    }
}
