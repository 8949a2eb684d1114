using Irrigation.Influx.Query;
using Irrigation.Server.Http;
using Irrigation.Server.State;

namespace Irrigation.Server.Stations;

/// <summary>Station list, one station with its latest values, and history from InfluxDB.</summary>
public static class StationsApi
{
    public static void MapStationsApi(this IEndpointRouteBuilder app)
    {
        var stations = app.MapGroup("/api/stations").WithTags("Stations").RequireAuthorization();
        stations.MapGet("/", (StationViews views) => TypedResults.Ok(views.List()));
        stations.MapGet("/{id}", (string id, StationViews views) => views.Detail(id) is { } d ? Results.Ok(Flatten(d)) : Problems.NotFound("station_not_found", $"No station {id}."));
        stations.MapGet("/{id}/history", HistoryAsync);

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

    /// <summary>The summary's fields at the top level, plus values and pending commands.</summary>
    private static Dictionary<string, object?> Flatten(StationDetail d)
    {
        var s = d.Summary;
        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["id"] = s.Id, ["name"] = s.Name, ["site"] = s.Site, ["status"] = s.Status, ["online"] = s.Online, ["stale"] = s.Stale,
            ["mainsPresent"] = s.MainsPresent, ["remoteMode"] = s.RemoteMode, ["lastTelemetryMs"] = s.LastTelemetryMs, ["pumps"] = s.Pumps,
            ["activeAlarms"] = s.ActiveAlarms, ["values"] = d.Values, ["pendingCommands"] = d.PendingCommands,
        };
    }

    private static async Task<IResult> HistoryAsync(string id, string? quantity, string? range, string? from, string? to, StationRegistry registry, QuantityCatalog catalog, HistoryQuery history, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
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
