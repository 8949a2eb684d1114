using System.Globalization;
using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Influx.Query;
using Irrigation.Server.Accounts;
using Irrigation.Server.Audit;
using Irrigation.Server.Configuration;
using Irrigation.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Reports;

/// <summary>A town and its stations, for the app's report picker.</summary>
public sealed record ReportSubject(string Town, IReadOnlyList<ReportStation> Stations);

public sealed record ReportStation(string Id, string Name);

/// <summary>
/// Daily and monthly reports of a station or a town as JSON, XLSX or PDF; the kept monthly reports; the acceptance
/// pack (docs/reports.md).
/// </summary>
public static class ReportsApi
{
    private const string Xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static IServiceCollection AddReports(this IServiceCollection services)
    {
        services.AddFeatureOptions<ReportOptions>();
        services.AddSingleton<ReportBuilder>();
        services.AddSingleton<AcceptancePack>();
        services.AddSingleton<ReportArchiveStore>();
        services.AddSingleton<ReportArchiveImport>();
        services.AddSingleton<ReportArchive>();
        services.AddHostedService(sp => sp.GetRequiredService<ReportArchive>());
        return services;
    }

    public static void MapReportsApi(this IEndpointRouteBuilder app)
    {
        var reports = app.MapGroup("/api/reports").WithTags("Reports").RequireAuthorization();
        reports.MapGet("/subjects", (ReportBuilder builder) => TypedResults.Ok(SubjectsOf(builder)));
        reports.MapGet("/stations/{id}", (string id, string? period, string? format, ReportBuilder builder, IOptions<ReportOptions> options, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken) =>
            ReportAsync(period, format, p => builder.StationAsync(id, p, cancellationToken), $"No station {id}.", "station_not_found", options.Value, time, loggers))
            .WithReportMetadata();
        reports.MapGet("/towns/{town}", (string town, string? period, string? format, ReportBuilder builder, IOptions<ReportOptions> options, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken) =>
            ReportAsync(period, format, p => builder.TownAsync(town, p, cancellationToken), $"No station belongs to the town {town}.", "town_not_found", options.Value, time, loggers))
            .WithReportMetadata();
        reports.MapGet("/archive", (ReportArchive archive) => TypedResults.Ok(archive.List()));
        reports.MapGet("/archive/{period}/{file}", Results<FileContentHttpResult, ProblemHttpResult> (string period, string file, ReportArchive archive) =>
            archive.Find(period, file) is { } kept
                ? TypedResults.File(kept.Content, kept.ContentType, kept.File)
                : Problems.NotFound("report_not_found", $"No kept report {period}/{file}."));
        reports.MapGet("/acceptance-pack", AcceptancePackAsync).RequireAuthorization(Roles.CanAdminister)
            .Produces<Stream>(StatusCodes.Status200OK, "application/zip").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>OpenAPI: a report as JSON, or the same report as an XLSX or PDF file (<c>format</c>), and the problems it can answer.</summary>
    private static RouteHandlerBuilder WithReportMetadata(this RouteHandlerBuilder builder) => builder
        .Produces<Report>(StatusCodes.Status200OK, "application/json", Xlsx, "application/pdf")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    public static IReadOnlyList<ReportSubject> SubjectsOf(ReportBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var subjects = builder.Towns().Select(t => new ReportSubject(t, builder.StationsOf(t).Select(s => new ReportStation(s.Id, s.Name)).ToList())).ToList();
        if (builder.StationsOf("") is { Count: > 0 } alone)
            subjects.Add(new ReportSubject("", alone.Select(s => new ReportStation(s.Id, s.Name)).ToList()));
        return subjects;
    }

    private static async Task<IResult> ReportAsync(string? period, string? format, Func<ReportPeriod, Task<Report?>> build, string notFound, string notFoundCode,
        ReportOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        if (!ReportPeriod.TryParse(period, out var span))
            return Problems.BadRequest("invalid_period", "period must be a Beijing month (yyyy-MM) or day (yyyy-MM-dd).");
        if (span.First > BeijingTime.DateOf(time.GetUtcNow()))
            return Problems.BadRequest("period_in_future", $"{span.Key} has not begun yet.");
        format ??= "json";
        if (format is not ("json" or "xlsx" or "pdf"))
            return Problems.BadRequest("invalid_format", "format must be json, xlsx or pdf.");
        Report? report;
        try
        {
            report = await build(span);
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException or JsonException or TaskCanceledException)
        {
            loggers.CreateLogger("reports").LogWarning("Report {Period}: {Reason}", span.Key, ex.Message);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "report_unavailable", "Report unavailable", "InfluxDB did not answer; try again shortly.");
        }

        if (report is null)
            return Problems.NotFound(notFoundCode, notFound);
        var name = $"{report.Title}-{span.Key}";
        switch (format)
        {
            case "xlsx":
                return TypedResults.File(ReportWorkbook.Create(report), Xlsx, name + ".xlsx");
            case "pdf":
                try
                {
                    return TypedResults.File(ReportDocument.Create(report, options.FontFile), "application/pdf", name + ".pdf");
                }
                catch (ReportFontException ex)
                {
                    loggers.CreateLogger("reports").LogError("PDF report: {Reason}", ex.Message);
                    return Problems.Create(StatusCodes.Status503ServiceUnavailable, "report_font_missing", "PDF unavailable", ex.Message);
                }

            default:
                return TypedResults.Ok(report);
        }
    }

    private static async Task<IResult> AcceptancePackAsync(string? from, string? to, HttpContext context, AcceptancePack pack, AuditLog audit, TimeProvider time, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!TryRange(from, to, BeijingTime.DateOf(time.GetUtcNow()), out var range, out var problem))
            return Problems.BadRequest("invalid_range", problem);
        try
        {
            var zip = await pack.CreateAsync(range, cancellationToken);
            audit.Write(context, "report.acceptance_pack", "succeeded", detail: $"{range.First:yyyy-MM-dd}..{range.Last:yyyy-MM-dd}, {zip.Length} bytes");
            return TypedResults.File(zip, "application/zip", AcceptancePack.FileName(range));
        }
        catch (ReportFontException ex)
        {
            loggers.CreateLogger("reports").LogError("Acceptance pack: {Reason}", ex.Message);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "report_font_missing", "PDF unavailable", ex.Message);
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            loggers.CreateLogger("reports").LogWarning("Acceptance pack {From}..{To}: {Reason}", from, to, ex.Message);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "report_unavailable", "Acceptance pack unavailable", "InfluxDB did not answer; try again shortly.");
        }
    }

    /// <summary>Reads a range of Beijing days (yyyy-MM-dd, both included) no longer than <see cref="AcceptancePack.MaxDays"/> and not after today.</summary>
    public static bool TryRange(string? from, string? to, DateOnly today, out ReportPeriod range, out string problem)
    {
        range = null!;
        if (!DateOnly.TryParseExact(from, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first)
            || !DateOnly.TryParseExact(to, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var last))
        {
            problem = "from and to must be Beijing dates (yyyy-MM-dd).";
            return false;
        }

        if (last < first || last.DayNumber - first.DayNumber + 1 > AcceptancePack.MaxDays || first > today)
        {
            problem = $"from..to must be 1..{AcceptancePack.MaxDays} days, in order, not starting after today.";
            return false;
        }

        range = ReportPeriod.Between(first, last);
        problem = "";
        return true;
    }
}
