using System.Globalization;
using System.Text;
using System.Text.Json;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Query;
using Irrigation.Influx.Write;
using Microsoft.Extensions.Options;
using Irrigation.Contracts;

using Irrigation.Server.State;

using Irrigation.Server.Storage;

namespace Irrigation.Server.Accounting;

/// <summary>
/// Recomputes the daily energy and water figures of every station from raw InfluxDB data — at start the last
/// <see cref="AccountingOptions.DaysOnStart"/> Beijing days, then every <see cref="AccountingOptions.Interval"/> the last
/// <see cref="AccountingOptions.Days"/> — and writes them as <c>energy_daily</c> points into <c>rollup_1h</c>, one per
/// station and pump and day at the Beijing midnight that starts it. Rewriting a day overwrites the same points.
/// </summary>
public sealed class EnergyAccounting : BackgroundService
{
    public const string Measurement = TelemetryQueries.EnergyDailyMeasurement;

    private readonly AccountingOptions _options;
    private readonly ServerInfluxOptions _influx;
    private readonly WaterCoefficients _settings;
    private readonly InfluxQueryClient _query;
    private readonly TimeSeriesReplicas _replicas;
    private readonly InfluxWriteClient[] _writers;
    private readonly InfluxSchema _schema;
    private readonly StationRegistry _registry;
    private readonly TimeProvider _time;
    private readonly LateTelemetry _late;
    private readonly ILogger<EnergyAccounting> _logger;

    public EnergyAccounting(
        IOptions<AccountingOptions> options, IOptions<ServerInfluxOptions> influx, TimeSeriesReplicas replicas, InfluxQueryClient query, InfluxSchema schema, StationRegistry registry,
        LateTelemetry late, WaterCoefficients settings, TimeProvider time, ILogger<EnergyAccounting> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(influx);
        _late = late;
        _settings = settings;
        _options = options.Value;
        _influx = influx.Value;
        _query = query;
        _schema = schema;
        _registry = registry;
        _time = time;
        _logger = logger;
        ArgumentNullException.ThrowIfNull(replicas);
        _replicas = replicas;
        _writers = replicas.All.Select(r =>
        {
            var write = r.WriteOptions();
            write.RetentionPolicy = InfluxSchema.HourPolicy;
            return new InfluxWriteClient(write, logger);
        }).ToArray();
    }

    /// <summary>Unix ms of the end of the last complete pass (0 before the first).</summary>
    public long LastPassMs { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!_schema.Ready)
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);

            var days = _options.DaysOnStart;
            using var timer = new PeriodicTimer(_options.Interval, _time);
            do
            {
                await PassAsync(days, stoppingToken);
                days = _options.Days;
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task PassAsync(int regularDays, CancellationToken stoppingToken)
    {
        // Telemetry stored since the last pass for days it no longer covers (a replay after days offline) widens it for
        // the stations concerned.
        var taken = _late.Take();
        try
        {
            var started = _time.GetTimestamp();
            var today = BeijingTime.DateOf(_time.GetUtcNow());
            foreach (var (station, days) in _influx.CreateSchema ? taken : new Dictionary<string, int>())
                await _schema.BackfillAsync(station.Length == 0 ? null : station, BeijingTime.StartOfMs(today.AddDays(1 - days)), stoppingToken);
            var (stations, points) = await RecomputeAsync(regularDays, taken, stoppingToken);
            LastPassMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var widened = string.Join(", ", taken.Select(t => $"{(t.Key.Length == 0 ? "all" : t.Key)} {t.Value} d"));
            _logger.Log(taken.Count > 0 || regularDays == _options.DaysOnStart ? LogLevel.Information : LogLevel.Debug,
                "Accounting: {Days} day(s) of {Stations} station(s){Late}, {Points} energy_daily point(s) in {Ms:0} ms.", regularDays, stations,
                taken.Count > 0 ? $" (late telemetry: {widened})" : "", points, _time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is HttpRequestException or InfluxQueryException or InfluxWriteException or JsonException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
        {
            _late.Restore(taken);
            _logger.LogWarning("Accounting pass failed ({Reason}); next try in {Interval}.", ex.Message, _options.Interval);
        }
    }

    /// <summary>
    /// Recomputes the last <paramref name="days"/> Beijing days (today included) of every station, or more for the
    /// stations in <paramref name="wider"/> (station → days; <see cref="LateTelemetry.AllStations"/> for all), at most
    /// the raw retention; returns stations and points written.
    /// </summary>
    public async Task<(int Stations, int Points)> RecomputeAsync(int days, IReadOnlyDictionary<string, int>? wider, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var today = BeijingTime.DateOf(now);
        var maxDays = Math.Max(days, (int)Math.Ceiling(_influx.RawRetention.TotalDays));
        var endMs = Math.Min(now.ToUnixTimeMilliseconds() + 1, BeijingTime.StartOfMs(today.AddDays(1)));
        var stations = await StationsAsync(cancellationToken);
        var written = 0;
        var failed = new string?[_writers.Length]; // a replica that failed is not tried again in this pass, and the pass is redone
        foreach (var station in stations)
        {
            var stationDays = Math.Max(days, Math.Max(wider?.GetValueOrDefault(station) ?? 0, wider?.GetValueOrDefault(LateTelemetry.AllStations) ?? 0));
            var fromMs = BeijingTime.StartOfMs(today.AddDays(1 - Math.Min(stationDays, maxDays)));
            var readings = await ReadAsync(station, fromMs, endMs, cancellationToken);
            var settings = new DailyAccountSettings(_options.ResetRatio, _options.RunningHold, _settings.CoefficientOf(station));
            var figures = DailyAccount.Compute(readings, fromMs, endMs, settings);
            if (figures.Count == 0)
                continue;
            var points = figures.SelectMany(day => Points(station, day)).ToList();
            var lines = Encoding.UTF8.GetBytes(string.Concat(points.Select(p => p.ToLineProtocol() + "\n")));
            var stationWritten = 0;
            for (var i = 0; i < _writers.Length; i++)
            {
                if (failed[i] is not null)
                    continue;
                try
                {
                    stationWritten = Math.Max(stationWritten, (await _writers[i].WriteAsync(lines, points.Count, cancellationToken)).Written);
                }
                catch (InfluxWriteException ex) when (_writers.Length > 1)
                {
                    // Every station still reaches the other replicas; the accounts are idempotent, so the retried pass rewrites this one's.
                    failed[i] = ex.Message;
                }
            }

            written += stationWritten;
        }

        var failures = failed.Select((f, i) => f is null ? null : $"{_replicas.All[i].Name}: {f}").Where(f => f is not null).ToList();
        if (failures.Count > 0)
            throw new InfluxWriteException($"energy_daily not written to every time-series replica ({string.Join("; ", failures)})", null, isTransient: true);
        return (stations.Count, written);
    }

    /// <summary>The energy_daily points of one station-day: pump "0" for the station, then one per pump.</summary>
    public static IEnumerable<PointData> Points(string station, StationDay day)
    {
        ArgumentNullException.ThrowIfNull(day);
        var time = BeijingTime.StartOfMs(day.Date);
        var total = PointData.Create(Measurement).Tag("station", station).Tag("pump", "0")
            .Field("running_hours", Round(day.RunningHours, 4)).Field("starts", day.Starts);
        if (day.Kwh is { } kwh)
            total = total.Field("kwh", Round(kwh, 3)).Field("water_m3", Round(day.WaterM3!.Value, 3));
        if (day.WaterM3Meter is { } meter)
            total = total.Field("water_m3_meter", Round(meter, 3));
        yield return total.Timestamp(time);
        foreach (var pump in day.Pumps)
        {
            var point = PointData.Create(Measurement).Tag("station", station).Tag("pump", pump.Pump.ToString(CultureInfo.InvariantCulture))
                .Field("running_hours", Round(pump.RunningHours, 4)).Field("starts", pump.Starts);
            if (pump.Kwh is { } pumpKwh)
                point = point.Field("kwh", Round(pumpKwh, 3)).Field("water_m3", Round(pump.WaterM3!.Value, 3));
            yield return point.Timestamp(time);
        }
    }

    private static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

    /// <summary>Stations with data in InfluxDB, plus those the registry knows.</summary>
    private async Task<IReadOnlyList<string>> StationsAsync(CancellationToken cancellationToken)
    {
        var result = await _query.QueryAsync(TelemetryQueries.StationIds, cancellationToken: cancellationToken);
        var ids = new SortedSet<string>(_registry.All.Select(s => s.Id), StringComparer.Ordinal);
        foreach (var series in result.Series)
        {
            var value = series.ColumnIndex("value");
            foreach (var row in series.Values)
            {
                if (value >= 0 && row[value].ValueKind == JsonValueKind.String)
                    ids.Add(row[value].GetString()!);
            }
        }

        return ids.ToList();
    }

    /// <summary>The station's counters and pump signals in the window, each preceded by its last reading before it (the baseline).</summary>
    private async Task<StationReadings> ReadAsync(string station, long fromMs, long endMs, CancellationToken cancellationToken)
    {
        var lookbackMs = fromMs - (long)_options.BaselineLookback.TotalMilliseconds;
        var result = await _query.QueryAsync(TelemetryQueries.AccountingReadings(lookbackMs, fromMs, endMs), new Dictionary<string, object?> { ["station"] = station }, cancellationToken: cancellationToken);
        var readings = new StationReadings();
        var byStatement = result.Statements.ToDictionary(s => s.StatementId);
        IEnumerable<InfluxSeries> Of(int id) => byStatement.TryGetValue(id, out var s) ? s.Series : [];

        foreach (var row in Rows(Of(0), "last"))
            readings.Energy.Add(new Reading(row.Time, row.Value));
        foreach (var row in Rows(Of(1), "last"))
            readings.Flow.Add(new Reading(row.Time, row.Value));
        foreach (var series in Of(2))
        {
            int t = series.ColumnIndex("time"), e = series.ColumnIndex("forward_energy"), f = series.ColumnIndex("flow_total");
            foreach (var row in series.Values)
            {
                if (Number(row, e) is { } energy)
                    readings.Energy.Add(new Reading(row[t].GetInt64(), energy));
                if (Number(row, f) is { } flow)
                    readings.Flow.Add(new Reading(row[t].GetInt64(), flow));
            }
        }

        // Baseline rows of each pump (one per field: they can be of different times), then the window's rows.
        for (var id = 3; id <= 7; id++)
        {
            foreach (var series in Of(id))
            {
                if (!series.Tags.TryGetValue("pump", out var tag) || !int.TryParse(tag, NumberStyles.None, CultureInfo.InvariantCulture, out var pump))
                    continue;
                if (!readings.Pumps.TryGetValue(pump, out var list))
                    readings.Pumps[pump] = list = [];
                int t = series.ColumnIndex("time"), r = series.ColumnIndex("running"), s = series.ColumnIndex("starts"), h = series.ColumnIndex("run_hours"), c = series.ColumnIndex("motor_current");
                foreach (var row in series.Values)
                    list.Add(new PumpReading(row[t].GetInt64(), Number(row, r), Number(row, s), Number(row, h), Number(row, c)));
            }
        }

        foreach (var list in readings.Pumps.Values)
            list.Sort((a, b) => a.TimeMs.CompareTo(b.TimeMs));
        readings.Energy.Sort((a, b) => a.TimeMs.CompareTo(b.TimeMs));
        readings.Flow.Sort((a, b) => a.TimeMs.CompareTo(b.TimeMs));
        return readings;
    }

    private static IEnumerable<(long Time, double Value)> Rows(IEnumerable<InfluxSeries> series, string column)
    {
        foreach (var s in series)
        {
            int t = s.ColumnIndex("time"), v = s.ColumnIndex(column);
            foreach (var row in s.Values)
            {
                if (Number(row, v) is { } value)
                    yield return (row[t].GetInt64(), value);
            }
        }
    }

    private static double? Number(JsonElement[] row, int index) =>
        index >= 0 && index < row.Length && row[index].ValueKind == JsonValueKind.Number ? row[index].GetDouble() : null;

    public override void Dispose()
    {
        foreach (var writer in _writers)
            writer.Dispose();
        base.Dispose();
    }
}
