using Irrigation.Server.Accounts;
using Irrigation.Server.Http;

namespace Irrigation.Server;

/// <summary>What every endpoint shares: logging, problem details, JSON, OpenAPI, the pipeline and the web app's files.</summary>
public static class ServerHttp
{
    public static WebApplicationBuilder AddServerLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return builder;
    }

    public static IServiceCollection AddServerHttp(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);
        return services;
    }

    /// <summary>Security headers, problem details for every error, the web app's files, authentication, CSRF, rate limits, authorization.</summary>
    public static WebApplication UseServerHttp(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseSecurityHeaders(hsts: app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value.SecureCookies);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // Hashed assets never change; index.html, the manifest and the service worker must always be revalidated.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl =
                context.Context.Request.Path.StartsWithSegments("/assets") ? "public, max-age=31536000, immutable" : "no-cache",
        });
        app.UseAuthentication();
        app.UseCsrfProtection();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapOpenApi();
        return app;
    }

    /// <summary>Unknown /api/ paths are API errors, not the web app; every other path is a client-side route of the web app.</summary>
    public static void MapWebAppFallback(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Map("/api/{**rest}", () => Problems.NotFound("not_found", "No such API endpoint."));
        app.MapFallbackToFile("index.html", new StaticFileOptions { OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache" });
    }
}
