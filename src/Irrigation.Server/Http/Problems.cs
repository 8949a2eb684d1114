using Microsoft.AspNetCore.Http.HttpResults;
namespace Irrigation.Server.Http;

/// <summary>
/// RFC 9457 problem documents with a stable <c>code</c> the web app translates. Every API error goes through here,
/// so a client sees the same shape for a refused command, a bad request or a sign-in failure.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult Create(int status, string code, string title, string detail, IDictionary<string, object?>? extra = null)
    {
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
                extensions[key] = value;
        }

        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: $"https://irrigation.local/problems/{code.Replace('_', '-')}", extensions: extensions);
    }

    public static ProblemHttpResult BadRequest(string code, string detail) => Create(StatusCodes.Status400BadRequest, code, "Bad request", detail);

    public static ProblemHttpResult NotFound(string code, string detail) => Create(StatusCodes.Status404NotFound, code, "Not found", detail);

    public static ProblemHttpResult Conflict(string code, string detail) => Create(StatusCodes.Status409Conflict, code, "Conflict", detail);

    public static ProblemHttpResult Forbidden(string detail) => Create(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    /// <summary>Writes a problem directly (for authentication events and middleware, outside endpoint results).</summary>
    public static Task WriteAsync(HttpContext context, int status, string code, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Create(status, code, title, detail).ExecuteAsync(context);
    }
}
