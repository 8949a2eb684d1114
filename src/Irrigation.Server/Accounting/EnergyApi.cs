using Microsoft.AspNetCore.Http.HttpResults;
using System.Globalization;
using System.Text.Json;
using Irrigation.Influx.Query;
using Irrigation.Server.Configuration;
using Irrigation.Server.Http;
using Irrigation.Contracts;

using Irrigation.Server.State;
using Irrigation.Server.Ingestion;
using Microsoft.Extensions.DependencyInjection.Extensions;

using Irrigation.Server.Storage;

namespace Irrigation.Server.Accounting;

public sealed record EnergyPumpDay(int Number, double? RunningHours, long? Starts, double? Kwh, double? WaterM3);

public sealed record EnergyDay(string Date, long Start, double? Kwh, double? WaterM3, double? WaterM3Meter, double? RunningHours, long? Starts, IReadOnlyList<EnergyPumpDay> Pumps);

public sealed record EnergyResponse(string Station, string TimeZone, double WaterPerKwh, bool WaterPerKwhCalibrated, IReadOnlyList<EnergyDay> Days);

/// <summary><c>GET /api/stations/{id}/energy?days=7</c>: the stored daily figures (energy_daily) of one station by Beijing day.</summary>
public static class EnergyApi
{
    public const int DefaultDays = 7;
    public const int MaxDays = 400;

    /// <summary>Daily energy and water accounts, recomputed when late telemetry arrives (it listens to ingestion).</summary>
    public static IServiceCollection AddEnergyAccounting(this IServiceCollection services)
    {
        services.AddFeatureOptions<AccountingOptions>();
        services.AddSingleton<WaterCoefficients>();
        services.AddSingleton<LateTelemetry>();
        services.Replace(ServiceDescriptor.Singleton<ILateTelemetryListener>(sp => sp.GetRequiredService<LateTelemetry>()));
        services.AddSingleton<EnergyAccounting>();
        services.AddHostedService(sp => sp.GetRequiredService<EnergyAccounting>());
        return services;
    }

    public static void MapEnergyApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/stations/{id}/energy", EnergyAsync).WithTags("Stations").RequireAuthorization();

    private static async Task<Results<Ok<EnergyResponse>, ProblemHttpResult>> EnergyAsync(string id, string? days, StationRegistry registry, WaterCoefficients settings, InfluxQueryClient influx, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (registry.Find(id) is null)
            return Problems.NotFound("station_not_found", $"No station {id}.");
        var count = DefaultDays;
        if (days is not null && (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxDays))
            return Problems.BadRequest("invalid_days", $"days must be a whole number 1..{MaxDays}.");
        var today = BeijingTime.DateOf(time.GetUtcNow());
        var first = today.AddDays(1 - count);
        try
        {
            var stored = await ReadAsync(influx, id, BeijingTime.StartOfMs(first), BeijingTime.StartOfMs(today.AddDays(1)), cancellationToken);
            var list = new List<EnergyDay>(count);
            for (var date = first; date <= today; date = date.AddDays(1))
            {
                var start = BeijingTime.StartOfMs(date);
                var rows = stored.GetValueOrDefault(start) ?? [];
                var total = rows.GetValueOrDefault(0);
                var pumps = rows.Where(r => r.Key > 0).OrderBy(r => r.Key)
                    .Select(r => new EnergyPumpDay(r.Key, r.Value.RunningHours, r.Value.Starts, r.Value.Kwh, r.Value.WaterM3)).ToList();
                list.Add(new EnergyDay(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start, total?.Kwh, total?.WaterM3, total?.WaterM3Meter, total?.RunningHours, total?.Starts, pumps));
            }

            return TypedResults.Ok(new EnergyResponse(id, BeijingTime.ZoneId, settings.CoefficientOf(id), settings.IsCalibrated(id), list));
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            loggers.CreateLogger("energy").LogWarning("Energy of {Station}: {Reason}", id, ex.Message);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "energy_unavailable", "Energy figures unavailable", "InfluxDB did not answer; try again shortly.");
        }
    }

    private sealed record Row(double? Kwh, double? WaterM3, double? WaterM3Meter, double? RunningHours, long? Starts);

    /// <summary>Stored points by day start (Unix ms), then by pump (0 = the station).</summary>
    private static async Task<Dictionary<long, Dictionary<int, Row>>> ReadAsync(InfluxQueryClient influx, string station, long fromMs, long toMs, CancellationToken cancellationToken)
    {
        var result = await influx.QueryAsync(TelemetryQueries.EnergyDays(fromMs, toMs), new Dictionary<string, object?> { ["station"] = station }, cancellationToken: cancellationToken);
        var days = new Dictionary<long, Dictionary<int, Row>>();
        foreach (var series in result.Series)
        {
            if (!series.Tags.TryGetValue("pump", out var tag) || !int.TryParse(tag, NumberStyles.None, CultureInfo.InvariantCulture, out var pump))
                continue;
            int t = series.ColumnIndex("time"), k = series.ColumnIndex("kwh"), w = series.ColumnIndex("water_m3"), m = series.ColumnIndex("water_m3_meter"),
                h = series.ColumnIndex("running_hours"), s = series.ColumnIndex("starts");
            foreach (var row in series.Values)
            {
                var start = row[t].GetInt64();
                if (!days.TryGetValue(start, out var byPump))
                    days[start] = byPump = [];
                var starts = Number(row, s);
                byPump[pump] = new Row(Number(row, k), Number(row, w), Number(row, m), Number(row, h), starts is { } n ? (long)Math.Round(n) : null);
            }
        }

        return days;
    }

    private static double? Number(JsonElement[] row, int index) =>
        index >= 0 && index < row.Length && row[index].ValueKind == JsonValueKind.Number ? row[index].GetDouble() : null;
}
