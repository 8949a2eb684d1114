using System.Security.Claims;
using System.Threading.RateLimiting;
using Irrigation.Server.Configuration;
using Irrigation.Server.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Irrigation.Server.Audit;
using Irrigation.Server.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Accounts;

/// <summary>
/// Cookie sign-in for the web app and bearer tokens for API clients behind one policy scheme, role policies,
/// a per-address rate limit on sign-in, and CSRF protection for cookie-authenticated changes.
/// </summary>
public static class AuthenticationSetup
{
    public const string SignInRateLimit = "sign-in";
    private const string Smart = "cookie-or-token";
    public const string CookieName = "irrigation.auth";

    /// <summary>Users, sign-in (cookie or bearer token), roles, rate limits and the first users of an installation.</summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddFeatureOptions<AuthOptions>();
        services.AddSingleton<UserStore>();

        // Keys kept, so sessions survive a restart: on disk next to the SQLite database, or in the shared PostgreSQL
        // database, where every instance finds the keys the others made (a cookie from one is valid at all).
        services.AddDataProtection().SetApplicationName("irrigation-server");
        services.AddSingleton<SessionKeyStore>();
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<SiteOptions>, IOptions<DatabaseOptions>, ILoggerFactory, SessionKeyStore>((o, site, database, loggers, keys) =>
            o.XmlRepository = database.Value.Provider == DatabaseProvider.PostgreSql
                ? keys
                : new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(site.Value.DataPath(), "keys")), loggers));

        services.AddAuthentication(Smart)
            .AddPolicyScheme(Smart, Smart, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? BearerTokenHandler.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = context => Problems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "unauthenticated", "Unauthenticated", "Sign in first.");
                o.Events.OnRedirectToAccessDenied = context => Problems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, "forbidden", "Forbidden", "Your role does not allow this.");
                o.Events.OnValidatePrincipal = ValidateSessionAsync;
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme).Configure<IOptions<AuthOptions>, TimeProvider>((o, auth, time) =>
        {
            o.Cookie.SecurePolicy = auth.Value.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = auth.Value.SessionLifetime;
            o.TimeProvider = time; // the application's clock, as tokens and lockouts use
        });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(null)
            .AddPolicy(Roles.CanOperate, p => p.RequireRole(Roles.Admin, Roles.Operator))
            .AddPolicy(Roles.CanMaintain, p => p.RequireRole(Roles.Admin, Roles.Maintenance))
            .AddPolicy(Roles.CanAdminister, p => p.RequireRole(Roles.Admin));

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AuthOptions>>((o, auth) =>
        {
            var permits = auth.Value.SignInAttemptsPerMinute;
            o.AddPolicy(SignInRateLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("auth")
                    .LogWarning("Sign-in rate limit hit by {Address}.", context.HttpContext.Connection.RemoteIpAddress);
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "rate_limited", "Too many attempts", "Too many sign-in attempts from this address; wait a minute.");
            };
        });
        return services;
    }

    /// <summary>Creates the configured first users (never overwriting existing ones) before the server answers.</summary>
    public static void CreateBootstrapUsers(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        UserBootstrap.Run(services.GetRequiredService<UserStore>(), services.GetRequiredService<AuditLog>(),
            services.GetRequiredService<IOptions<AuthOptions>>().Value, services.GetRequiredService<ILoggerFactory>().CreateLogger("accounts"));
    }

    /// <summary>A session ends at once when its user is disabled, deleted, or gets a new role or password.</summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var users = context.HttpContext.RequestServices.GetRequiredService<UserStore>();
        var name = context.Principal?.Identity?.Name;
        var stamp = context.Principal?.FindFirst(AccountClaims.SecurityStamp)?.Value;
        var user = name is null ? null : users.Find(name);
        if (user is null || user.Disabled || user.SecurityStamp != stamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>
    /// CSRF: a cookie-authenticated request that changes something must echo the session's CSRF token in
    /// <c>X-CSRF-Token</c>. (SameSite=Strict already keeps the cookie off cross-site requests; this is the second lock.)
    /// Bearer requests are not exposed to CSRF and need no header.
    /// </summary>
    public static IApplicationBuilder UseCsrfProtection(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var method = context.Request.Method;
        var changes = !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));
        if (changes && context.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieAuthenticationDefaults.AuthenticationScheme })
        {
            var expected = context.User.FindFirst(AccountClaims.Csrf)?.Value;
            var sent = context.Request.Headers["X-CSRF-Token"].ToString();
            if (expected is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(sent)))
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("auth")
                    .LogWarning("CSRF check failed for {Method} {Path} by {User} from {Address}.", method, context.Request.Path, context.User.Identity.Name, context.Connection.RemoteIpAddress);
                await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "csrf", "CSRF check failed", "Send the X-CSRF-Token header from sign-in with every change.");
                return;
            }
        }

        await next(context);
    });

    public static string? Csrf(this ClaimsPrincipal user) => user?.FindFirst(AccountClaims.Csrf)?.Value;
}
