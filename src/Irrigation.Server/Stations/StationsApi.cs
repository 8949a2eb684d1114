using Microsoft.AspNetCore.Http.HttpResults;
using Irrigation.Influx.Query;
using Irrigation.Server.Accounts;
using Irrigation.Server.Accounting;
using Irrigation.Server.Audit;
using Irrigation.Server.Http;
using Irrigation.Server.State;

using Irrigation.Server.Profiles;

using Irrigation.Server.Storage;

namespace Irrigation.Server.Stations;

/// <summary>An administrator's change to a station; a field left out (null) is kept.</summary>
public sealed record StationSettingsRequest(string? Name, string? Site, double? WaterPerKwh);

/// <summary>A station's settings as they now apply.</summary>
public sealed record StationSettingsResponse(string Id, string Name, string Site, double WaterPerKwh, bool WaterPerKwhCalibrated, long? UpdatedAt, string? UpdatedBy);

/// <summary>Station list, one station with its latest values, history from InfluxDB, and an administrator's settings.</summary>
public static class StationsApi
{
    public static void MapStationsApi(this IEndpointRouteBuilder app)
    {
        var stations = app.MapGroup("/api/stations").WithTags("Stations").RequireAuthorization();
        stations.MapGet("/", (StationViews views) => TypedResults.Ok(views.List()));
        stations.MapGet("/{id}", Results<Ok<Dictionary<string, object?>>, ProblemHttpResult> (string id, StationViews views) => views.Detail(id) is { } d ? TypedResults.Ok(Flatten(d)) : Problems.NotFound("station_not_found", $"No station {id}."));
        stations.MapGet("/{id}/history", HistoryAsync);
        stations.MapGet("/{id}/settings", Results<Ok<StationSettingsResponse>, ProblemHttpResult> (string id, StationRegistry registry, StationSettingsStore settings, WaterCoefficients coefficients) =>
        {
            settings.Refresh(); // the settings page shows another instance's save at once, not at the next periodic check
            return registry.Find(id) is { } station ? TypedResults.Ok(Settings(station, settings, coefficients)) : Problems.NotFound("station_not_found", $"No station {id}.");
        });
        stations.MapPatch("/{id}/settings", UpdateSettings).RequireAuthorization(Roles.CanAdminister);

        // The ingestion issue's raw view, kept for scripts and the benchmarks.
        app.MapGet("/api/stations/latest", (LatestValueCache cache) => TypedResults.Ok(cache.Snapshot().Select(s => new
        {
            s.Id,
            s.Name,
            s.Site,
            s.Status,
            s.Gateway,
            s.LastTelemetryMs,
            Values = s.Values.ToDictionary(kv => kv.Key, kv => new { value = kv.Value.Value, ts = kv.Value.TimestampMs }),
        }))).WithTags("Stations").RequireAuthorization();
    }

    private static StationSettingsResponse Settings(StationEntry station, StationSettingsStore settings, WaterCoefficients coefficients)
    {
        var saved = settings.Find(station.Id);
        return new StationSettingsResponse(station.Id, station.Name, station.Site, coefficients.CoefficientOf(station.Id), coefficients.IsCalibrated(station.Id), saved?.UpdatedAt, saved?.UpdatedBy);
    }

    private static Results<Ok<StationSettingsResponse>, ProblemHttpResult> UpdateSettings(string id, StationSettingsRequest? request, HttpContext context, StationRegistry registry, StationSettingsStore settings, WaterCoefficients coefficients, AuditLog audit, TimeProvider time)
    {
        ProblemHttpResult Invalid(string code, string detail)
        {
            audit.Write(context, "station.update", "invalid_request", id, detail: detail);
            return Problems.BadRequest(code, detail);
        }

        if (registry.Find(id) is not { } station)
            return Problems.NotFound("station_not_found", $"No station {id}.");
        if (request is null || request is { Name: null, Site: null, WaterPerKwh: null })
            return Invalid("nothing_to_change", "Send name, site or waterPerKwh.");
        var name = request.Name?.Trim();
        if (name is not null && (name.Length is 0 or > 100 || name.Any(char.IsControl)))
            return Invalid("invalid_name", "name must be 1-100 characters without control characters.");
        var site = request.Site?.Trim();
        if (site is not null && (site.Length > 100 || site.Any(char.IsControl)))
            return Invalid("invalid_site", "site must be at most 100 characters without control characters.");
        if (request.WaterPerKwh is { } c && (!double.IsFinite(c) || c <= 0 || c > 1000))
            return Invalid("invalid_water_per_kwh", "waterPerKwh must be a number above 0 and at most 1000 (m³ per kWh).");

        var saved = settings.Save(station, name, site, request.WaterPerKwh, context.User.Identity!.Name!, time.GetUtcNow().ToUnixTimeMilliseconds());
        audit.Write(context, "station.update", "succeeded", id,
            detail: string.Join(", ", new[] { name is null ? null : $"name={name}", site is null ? null : $"site={site}", request.WaterPerKwh is null ? null : $"waterPerKwh={saved.WaterPerKwh?.ToString(System.Globalization.CultureInfo.InvariantCulture)}" }.OfType<string>()));
        return TypedResults.Ok(Settings(station, settings, coefficients));
    }

    /// <summary>The summary's fields at the top level, plus values and pending commands.</summary>
    private static Dictionary<string, object?> Flatten(StationDetail d)
    {
        var s = d.Summary;
        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["id"] = s.Id, ["name"] = s.Name, ["site"] = s.Site, ["status"] = s.Status, ["online"] = s.Online, ["stale"] = s.Stale,
            ["mainsPresent"] = s.MainsPresent, ["remoteMode"] = s.RemoteMode, ["lastTelemetryMs"] = s.LastTelemetryMs, ["pumps"] = s.Pumps,
            ["activeAlarms"] = s.ActiveAlarms, ["powerKw"] = s.PowerKw, ["sumpLevel"] = s.SumpLevel, ["pumpsRunning"] = s.PumpsRunning, ["values"] = d.Values, ["pendingCommands"] = d.PendingCommands,
        };
    }

    private static async Task<Results<Ok<HistoryResponse>, ProblemHttpResult>> HistoryAsync(string id, string? quantity, string? range, string? from, string? to, StationRegistry registry, QuantityCatalog catalog, HistoryQuery history, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (registry.Find(id) is null)
            return Problems.NotFound("station_not_found", $"No station {id}.");
        if (quantity is null || !HistoryQuery.IsValidQuantity(quantity))
            return Problems.BadRequest("invalid_quantity", "quantity must be a quantity key such as active_power or pump1.motor_current.");
        if (!HistoryQuery.TryParseRange(range, from, to, time.GetUtcNow(), out var start, out var end, out var error))
            return Problems.BadRequest("invalid_range", error);
        try
        {
            var points = await history.QueryAsync(id, quantity, start, end, cancellationToken);
            var plan = HistoryQuery.Plan(end - start);
            return TypedResults.Ok(new HistoryResponse(id, quantity, catalog.Describe(quantity).Unit, plan.Resolution, start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds(), points));
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            loggers.CreateLogger("history").LogWarning("History of {Station} {Quantity}: {Reason}", id, quantity, ex.Message);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "history_unavailable", "History unavailable", "InfluxDB did not answer; try again shortly.");
        }
    }
}
