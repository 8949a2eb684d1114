using System.Globalization;
using System.Text;
using System.Text.Json;
using Irrigation.Influx.Query;
using Irrigation.Server.Storage;

namespace Irrigation.Server.State;

/// <summary>
/// Fills the latest-value cache from InfluxDB once at start-up. Gateways send only changed quantities between
/// their snapshots (every minute), so without this a restarted server showed stations without pumps, mains or
/// most values for up to a minute, and as never heard from until their next message. Values read back carry the
/// time of the station's newest stored message; live telemetry (always newer) replaces them as it arrives.
/// </summary>
public sealed class LatestValueSeeder : BackgroundService
{
    private static readonly TimeSpan Lookback = TimeSpan.FromDays(1);
    private static readonly string[] Metadata = ["seq", "quality", "replayed"];
    private readonly InfluxQueryClient _influx;
    private readonly InfluxSchema _schema;
    private readonly StationRegistry _registry;
    private readonly LatestValueCache _cache;
    private readonly ILogger<LatestValueSeeder> _logger;

    public LatestValueSeeder(InfluxQueryClient influx, InfluxSchema schema, StationRegistry registry, LatestValueCache cache, ILogger<LatestValueSeeder> logger)
    {
        _influx = influx;
        _schema = schema;
        _registry = registry;
        _cache = cache;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 0; attempt < 30 && !_schema.Ready; attempt++)
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (stoppingToken.IsCancellationRequested)
            return;
        try
        {
            var seeded = await SeedAsync(stoppingToken);
            _logger.LogInformation("Latest values of {Stations} station(s) read back from InfluxDB.", seeded);
        }
        catch (Exception ex) when (ex is InfluxQueryException or HttpRequestException or TaskCanceledException or JsonException && !stoppingToken.IsCancellationRequested)
        {
            _logger.LogWarning("Latest values not read back from InfluxDB ({Reason}); they fill in from live telemetry.", ex.Message);
        }
    }

    internal async Task<int> SeedAsync(CancellationToken cancellationToken)
    {
        var newest = new Dictionary<string, long>(StringComparer.Ordinal);
        var last = await _influx.QueryAsync(TelemetryQueries.NewestSequencePerStation((long)Lookback.TotalHours), cancellationToken: cancellationToken);
        foreach (var series in last.Series)
        {
            if (series.Tags.TryGetValue("station", out var id) && series.Values.Count > 0)
                newest[id] = series.Values[0][0].GetInt64();
        }

        foreach (var measurement in new[] { TelemetryQueries.StationMeasurement, TelemetryQueries.PumpMeasurement })
        {
            var result = await _influx.QueryAsync(TelemetryQueries.LastValues(measurement, (long)Lookback.TotalHours), cancellationToken: cancellationToken);
            foreach (var series in result.Series)
            {
                if (!series.Tags.TryGetValue("station", out var id) || !newest.TryGetValue(id, out var at) || series.Values.Count == 0
                    || _registry.Find(Encoding.UTF8.GetBytes(id)) is not { } station)
                    continue;
                var prefix = measurement == TelemetryQueries.PumpMeasurement && series.Tags.TryGetValue("pump", out var pump) ? $"pump{pump}." : "";
                var row = series.Values[0];
                for (var i = 1; i < series.Columns.Count && i < row.Length; i++)
                {
                    var field = series.Columns[i].StartsWith("last_", StringComparison.Ordinal) ? series.Columns[i][5..] : series.Columns[i];
                    if (row[i].ValueKind != JsonValueKind.Number || Metadata.Contains(field))
                        continue;
                    _cache.Seed(station, prefix + field, row[i].GetDouble(), at);
                }

                LatestValueCache.Seen(station, at, quality: -1);
            }
        }

        return newest.Count;
    }
}
