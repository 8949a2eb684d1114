using System.Globalization;
using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Influx.Query;
using Irrigation.Server.Accounting;
using Irrigation.Server.Alarms;
using Irrigation.Server.Plans;
using Irrigation.Server.State;
using Irrigation.Server.Storage;
using Irrigation.Server.Tariffs;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Reports;

/// <summary>
/// Builds the daily and monthly reports of a station or a town from what the server stores: daily accounts, counter
/// readings, message counts, availability and command outcomes from InfluxDB (the same queries the acceptance
/// dashboard runs), alarms and scheduled runs from the database.
/// </summary>
public sealed class ReportBuilder
{
    private readonly StationRegistry _registry;
    private readonly WaterCoefficients _coefficients;
    private readonly TariffBook _tariffs;
    private readonly InfluxQueryClient _influx;
    private readonly AlarmStore _alarms;
    private readonly PlanStore _plans;
    private readonly ReportOptions _options;
    private readonly TimeProvider _time;

    public ReportBuilder(StationRegistry registry, WaterCoefficients coefficients, TariffBook tariffs, InfluxQueryClient influx, AlarmStore alarms, PlanStore plans,
        IOptions<ReportOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _registry = registry;
        _coefficients = coefficients;
        _tariffs = tariffs;
        _influx = influx;
        _alarms = alarms;
        _plans = plans;
        _options = options.Value;
        _time = time;
    }

    /// <summary>Towns (a station's site), in Chinese collation order of their code points.</summary>
    public IReadOnlyList<string> Towns() =>
        _registry.All.Select(s => s.Site).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    public TariffBook Tariffs => _tariffs;

    /// <summary>Every station, town by town (stations without a town first), each town's by id.</summary>
    public IReadOnlyList<StationEntry> Stations() => StationsOf("").Concat(Towns().SelectMany(StationsOf)).ToList();

    public IReadOnlyList<StationEntry> StationsOf(string town) =>
        _registry.All.Where(s => string.Equals(s.Site, town, StringComparison.Ordinal)).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();

    /// <summary>A station's report: one row per day of the period. Null for an unknown station.</summary>
    public async Task<Report?> StationAsync(string id, ReportPeriod period, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(period);
        return _registry.Find(id) is { } station ? StationReport(station, period, await CellsAsync(station, period, cancellationToken)) : null;
    }

    /// <summary>A town's report: one row per station. Null for a town no station belongs to.</summary>
    public async Task<Report?> TownAsync(string town, ReportPeriod period, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(period);
        var stations = StationsOf(town);
        if (stations.Count == 0)
            return null;
        var cells = new List<(StationEntry, List<ReportCell>)>();
        foreach (var station in stations)
            cells.Add((station, await CellsAsync(station, period, cancellationToken)));
        return TownReport(town, period, cells);
    }

    /// <summary>
    /// Every town's report, then every station's (<see cref="Stations"/> order), for the kept monthly reports and the
    /// acceptance pack: each station's figures are read once and serve both its own report and its town's.
    /// </summary>
    public async Task<IReadOnlyList<Report>> AllAsync(ReportPeriod period, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(period);
        var cells = new Dictionary<string, List<ReportCell>>(StringComparer.Ordinal);
        var stations = Stations();
        foreach (var station in stations)
            cells[station.Id] = await CellsAsync(station, period, cancellationToken);
        var reports = Towns().Select(t => TownReport(t, period, StationsOf(t).Select(s => (s, cells[s.Id])).ToList())).ToList();
        reports.AddRange(stations.Select(s => StationReport(s, period, cells[s.Id])));
        return reports;
    }

    private Report StationReport(StationEntry station, ReportPeriod period, List<ReportCell> cells)
    {
        var rows = cells.Select(c => ReportRow.Of(c.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), DayLabel(c.Date), [c], _tariffs)).ToList();
        return Assemble(Report.StationScope, station.Id, station.Name, station.Site, Title(station.Name, period), period, rows, cells);
    }

    private Report TownReport(string town, ReportPeriod period, IReadOnlyList<(StationEntry Station, List<ReportCell> Cells)> stations)
    {
        var rows = stations.Select(s => ReportRow.Of(s.Station.Id, s.Station.Name, s.Cells, _tariffs)).ToList();
        return Assemble(Report.TownScope, town, town, town, Title(town, period), period, rows, stations.SelectMany(s => s.Cells).ToList());
    }

    private Report Assemble(string scope, string subject, string name, string town, string title, ReportPeriod period, List<ReportRow> rows, List<ReportCell> cells)
    {
        var byKind = cells.SelectMany(c => c.Alarms).GroupBy(a => a.Rule, StringComparer.Ordinal)
            .Select(g => new AlarmKindCount(g.Key, g.First().Title, g.Count())).OrderByDescending(k => k.Count).ThenBy(k => k.Rule, StringComparer.Ordinal).ToList();
        return new Report(scope, subject, name, town, period.Key, period.Kind, period.Label,
            period.First.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), period.Last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            title, _options.Organisation, _time.GetUtcNow().ToUnixTimeMilliseconds(), _tariffs.Name,
            TariffKinds.All.ToDictionary(k => k, _tariffs.Price, StringComparer.Ordinal),
            rows, ReportRow.Of("total", "合计", cells, _tariffs), byKind);
    }

    private static string Title(string subject, ReportPeriod period) =>
        subject.Contains("机埠", StringComparison.Ordinal) || subject.Contains("泵站", StringComparison.Ordinal)
            ? $"{subject}运行{period.Name}"
            : $"{subject}机埠运行{period.Name}";

    private static string DayLabel(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>One cell per day of the period for <paramref name="station"/>.</summary>
    public async Task<List<ReportCell>> CellsAsync(StationEntry station, ReportPeriod period, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(station);
        ArgumentNullException.ThrowIfNull(period);
        var coefficient = _coefficients.CoefficientOf(station.Id);
        var calibrated = _coefficients.IsCalibrated(station.Id);
        var cells = period.Days().ToDictionary(d => d, d => new ReportCell { Station = station.Id, Date = d, WaterPerKwh = coefficient, Calibrated = calibrated });

        var result = await _influx.QueryAsync(TelemetryQueries.Report(period.FromMs, period.ToMs), new Dictionary<string, object?> { ["station"] = station.Id }, cancellationToken: cancellationToken);
        var statements = result.Statements;
        if (statements.Count != 6)
            throw new InfluxQueryException($"The report query returned {statements.Count} statement results, not 6.");

        ReadAccounts(statements[0], cells);
        SplitByTariff(statements[1], cells);
        foreach (var (cell, row, series) in ByDay(statements[2], cells))
            cell.MessagesStored = (long)Math.Round(Number(row, series.ColumnIndex("sum")) ?? 0);
        foreach (var (cell, row, series) in ByDay(statements[3], cells))
            cell.MessagesLost = (long)Math.Round(Number(row, series.ColumnIndex("sum")) ?? 0);
        foreach (var (cell, row, series) in ByDay(statements[4], cells))
        {
            cell.OnlineSum = Number(row, series.ColumnIndex("sum")) ?? 0;
            cell.OnlineSamples = (long)Math.Round(Number(row, series.ColumnIndex("count")) ?? 0);
        }

        foreach (var series in statements[5].Series)
        {
            var outcome = series.Tags.GetValueOrDefault("outcome") ?? "";
            int t = series.ColumnIndex("time"), d = series.ColumnIndex("duration_ms");
            foreach (var row in series.Values)
                At(cells, BeijingTime.DateOf(row[t].GetInt64()))?.Commands.Add((outcome, (long)Math.Round(Number(row, d) ?? 0)));
        }

        foreach (var alarm in _alarms.Raised(station.Id, period.FromMs, period.ToMs))
        {
            At(cells, BeijingTime.DateOf(alarm.RaisedAt))?.Alarms.Add((alarm.Rule, alarm.Title,
                alarm.AcknowledgedAt is { } a ? (a - alarm.RaisedAt) / 60_000.0 : null,
                alarm.ClearedAt is { } c ? (c - alarm.RaisedAt) / 60_000.0 : null));
        }

        foreach (var run in _plans.Runs(null, station.Id, period.FromMs, period.ToMs, PlanStore.MaxRuns))
        {
            if (At(cells, BeijingTime.DateOf(run.PlannedAt)) is not { } cell)
                continue;
            if (run.State is PlanRunStates.Missed or PlanRunStates.Refused)
                cell.RunsMissed++;
            else
                cell.RunsExecuted++;
        }

        return cells.Values.OrderBy(c => c.Date).ToList();
    }

    private static void ReadAccounts(InfluxStatementResult statement, Dictionary<DateOnly, ReportCell> cells)
    {
        foreach (var series in statement.Series)
        {
            if (series.Tags.GetValueOrDefault("pump") != "0")
                continue;
            int t = series.ColumnIndex("time"), k = series.ColumnIndex("kwh"), w = series.ColumnIndex("water_m3"), h = series.ColumnIndex("running_hours"), s = series.ColumnIndex("starts");
            foreach (var row in series.Values)
            {
                if (At(cells, BeijingTime.DateOf(row[t].GetInt64())) is not { } cell)
                    continue;
                cell.Kwh = Number(row, k);
                cell.WaterM3 = Number(row, w);
                cell.RunHours = Number(row, h) ?? 0;
                cell.Starts = (long)Math.Round(Number(row, s) ?? 0);
            }
        }
    }

    /// <summary>
    /// Splits each day's kWh (the daily account, which already handles meter replacement and late replays) over the
    /// tariff periods in proportion to the counter's rise in each quarter hour. A quarter hour in which the counter
    /// fell (a meter replaced or reset) adds nothing; a day with kWh but no rise seen is split by hours.
    /// </summary>
    private void SplitByTariff(InfluxStatementResult statement, Dictionary<DateOnly, ReportCell> cells)
    {
        var rises = new Dictionary<DateOnly, Dictionary<string, double>>();
        foreach (var series in statement.Series)
        {
            int t = series.ColumnIndex("time"), m = series.ColumnIndex("max");
            double? previous = null;
            foreach (var row in series.Values)
            {
                var value = Number(row, m);
                if (value is null)
                    continue;
                if (previous is { } p && value.Value > p)
                {
                    var at = row[t].GetInt64();
                    var day = BeijingTime.DateOf(at);
                    if (!rises.TryGetValue(day, out var byKind))
                        rises[day] = byKind = new Dictionary<string, double>(StringComparer.Ordinal);
                    var kind = _tariffs.KindAt(at);
                    byKind[kind] = byKind.GetValueOrDefault(kind) + (value.Value - p);
                }

                previous = value;
            }
        }

        foreach (var cell in cells.Values)
        {
            if (cell.Kwh is not { } kwh || kwh <= 0)
                continue;
            var weights = rises.GetValueOrDefault(cell.Date) is { Count: > 0 } seen && seen.Values.Sum() > 0
                ? seen
                : _tariffs.Split(BeijingTime.StartOfMs(cell.Date), BeijingTime.StartOfMs(cell.Date.AddDays(1))).Hours.ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
            var total = weights.Values.Sum();
            foreach (var (kind, weight) in weights)
            {
                if (weight > 0)
                    cell.KwhByTariff[kind] = kwh * weight / total;
            }
        }
    }

    /// <summary>The rows of a per-day statement with the cell of their day (rows outside the period skipped).</summary>
    private static IEnumerable<(ReportCell Cell, JsonElement[] Row, InfluxSeries Series)> ByDay(InfluxStatementResult statement, Dictionary<DateOnly, ReportCell> cells)
    {
        foreach (var series in statement.Series)
        {
            var t = series.ColumnIndex("time");
            foreach (var row in series.Values)
            {
                if (At(cells, BeijingTime.DateOf(row[t].GetInt64())) is { } cell)
                    yield return (cell, row, series);
            }
        }
    }

    private static ReportCell? At(Dictionary<DateOnly, ReportCell> cells, DateOnly day) => cells.GetValueOrDefault(day);

    private static double? Number(JsonElement[] row, int index) =>
        index >= 0 && index < row.Length && row[index].ValueKind == JsonValueKind.Number ? row[index].GetDouble() : null;
}
