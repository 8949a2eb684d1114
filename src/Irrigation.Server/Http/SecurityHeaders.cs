namespace Irrigation.Server.Http;

/// <summary>
/// Response headers that keep the phone app from being abused in a browser: no script but the app's own files
/// (Content-Security-Policy without inline script), never framed (a pump-control page in someone else's frame is how a
/// confirm button gets clickjacked), no content sniffing, no referrer to other sites, and HSTS when the deployment runs
/// behind TLS (secure cookies on).
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// Scripts, workers, fetches and the manifest only from this origin; styles from this origin (inline style attributes
    /// allowed: the charts set element styles); images also as data: URLs (icons); nothing may frame the app.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public const string StrictTransportSecurity = "max-age=31536000";

    /// <summary>Adds the headers to every response; HSTS only when <paramref name="hsts"/> (the site is served over HTTPS).</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, bool hsts)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use((context, next) =>
        {
            // Set as the response starts: the exception handler clears headers before it writes a 500.
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XFrameOptions = "DENY"; // browsers without frame-ancestors
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                if (hsts)
                    headers.StrictTransportSecurity = StrictTransportSecurity;
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
