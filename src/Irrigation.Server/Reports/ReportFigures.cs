using Irrigation.Server.Tariffs;

namespace Irrigation.Server.Reports;

/// <summary>
/// What one station did on one Beijing day, as read from InfluxDB and the database: the unit every report row and
/// total is aggregated from, so a month's total and a town's total are computed from the same samples as its rows.
/// </summary>
public sealed class ReportCell
{
    public required string Station { get; init; }

    public required DateOnly Date { get; init; }

    public double RunHours { get; set; }

    public long Starts { get; set; }

    public double? Kwh { get; set; }

    public double? WaterM3 { get; set; }

    public required double WaterPerKwh { get; init; }

    public required bool Calibrated { get; init; }

    /// <summary>The day's kWh by tariff period kind (sharp, peak, flat, valley); sums to <see cref="Kwh"/>.</summary>
    public Dictionary<string, double> KwhByTariff { get; } = new(StringComparer.Ordinal);

    /// <summary>Messages stored (sum of rollup_1m.station.messages), as the acceptance dashboard counts them.</summary>
    public long MessagesStored { get; set; }

    /// <summary>Messages recorded lost (sum of data_loss.messages).</summary>
    public long MessagesLost { get; set; }

    /// <summary>Sum and count of the station_status online samples (1 online, 0 not).</summary>
    public double OnlineSum { get; set; }

    public long OnlineSamples { get; set; }

    /// <summary>Alarms raised this day: rule, and minutes to acknowledge and to clear (null: not yet).</summary>
    public List<(string Rule, string Title, double? AckMinutes, double? ClearMinutes)> Alarms { get; } = [];

    /// <summary>Remote commands that reached a final state this day: outcome and milliseconds from request to that state.</summary>
    public List<(string Outcome, long DurationMs)> Commands { get; } = [];

    public int RunsExecuted { get; set; }

    public int RunsMissed { get; set; }
}

/// <summary>One row of a report (a day of a station, or a station of a town) or its totals row.</summary>
public sealed record ReportRow(
    string Key, string Label,
    double RunHours, long Starts, double? Kwh, double? WaterM3, double? WaterPerKwh, string CoefficientSource,
    IReadOnlyDictionary<string, double> KwhByTariff, double? Cost,
    long MessagesExpected, long MessagesStored, long MessagesLost, double? CompletenessPercent, double? OnlinePercent,
    int Alarms, double? AckMedianMinutes, double? AckWorstMinutes, double? ClearMedianMinutes, double? ClearWorstMinutes,
    int Commands, int CommandsSucceeded, double? CommandSuccessPercent, double? CommandMedianSeconds, double? CommandP95Seconds,
    int RunsExecuted, int RunsMissed)
{
    public const string Calibrated = "calibrated";
    public const string Default = "default";
    public const string Mixed = "mixed";

    /// <summary>
    /// Aggregates cells. Sums add; completeness is stored ÷ (stored + lost); the online rate is the mean of every
    /// availability sample; medians and the 95th percentile are taken over the pooled samples, never averaged.
    /// </summary>
    public static ReportRow Of(string key, string label, IReadOnlyCollection<ReportCell> cells, TariffBook tariffs)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(tariffs);
        var kwh = SumOrNull(cells.Select(c => c.Kwh));
        var water = SumOrNull(cells.Select(c => c.WaterM3));
        var byTariff = TariffKinds.All.ToDictionary(k => k, k => Round(cells.Sum(c => c.KwhByTariff.GetValueOrDefault(k)), 3), StringComparer.Ordinal);
        double? cost = kwh is null ? null : Math.Round(cells.Sum(c => c.KwhByTariff.Sum(t => t.Value * tariffs.Price(t.Key))), 2);
        var sources = cells.Select(c => c.Calibrated).Distinct().ToList();
        var coefficients = cells.Select(c => c.WaterPerKwh).Distinct().ToList();
        double? coefficient = coefficients.Count == 1 ? coefficients[0] : kwh is > 0 && water is not null ? Round(water.Value / kwh.Value, 3) : null;
        var source = sources.Count switch { 0 => Default, 1 => sources[0] ? Calibrated : Default, _ => Mixed };

        long stored = cells.Sum(c => c.MessagesStored), lost = cells.Sum(c => c.MessagesLost);
        var onlineSamples = cells.Sum(c => c.OnlineSamples);
        var acks = cells.SelectMany(c => c.Alarms).Where(a => a.AckMinutes is not null).Select(a => a.AckMinutes!.Value).ToList();
        var clears = cells.SelectMany(c => c.Alarms).Where(a => a.ClearMinutes is not null).Select(a => a.ClearMinutes!.Value).ToList();
        var commands = cells.SelectMany(c => c.Commands).ToList();
        var succeeded = commands.Where(c => c.Outcome == "succeeded").Select(c => c.DurationMs / 1000.0).ToList();
        return new ReportRow(
            key, label,
            Round(cells.Sum(c => c.RunHours), 2), cells.Sum(c => c.Starts), Round(kwh, 3), Round(water, 2), coefficient, source,
            byTariff, cost,
            stored + lost, stored, lost, stored + lost == 0 ? null : Round(100.0 * stored / (stored + lost), 2),
            onlineSamples == 0 ? null : Round(100.0 * cells.Sum(c => c.OnlineSum) / onlineSamples, 2),
            cells.Sum(c => c.Alarms.Count), Round(Percentile(acks, 50), 1), Round(acks.Count == 0 ? null : acks.Max(), 1),
            Round(Percentile(clears, 50), 1), Round(clears.Count == 0 ? null : clears.Max(), 1),
            commands.Count, succeeded.Count, commands.Count == 0 ? null : Round(100.0 * succeeded.Count / commands.Count, 2),
            Round(Percentile(succeeded, 50), 1), Round(Percentile(succeeded, 95), 1),
            cells.Sum(c => c.RunsExecuted), cells.Sum(c => c.RunsMissed));
    }

    /// <summary>
    /// The nearest-rank percentile (the smallest sample with at least p % of the samples at or below it), as InfluxQL's
    /// <c>percentile()</c> takes it; the median of an even count is the lower middle sample. Null without samples.
    /// </summary>
    public static double? Percentile(IReadOnlyCollection<double> samples, double p)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
            return null;
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static double? SumOrNull(IEnumerable<double?> values)
    {
        double? sum = null;
        foreach (var v in values)
        {
            if (v is { } x)
                sum = (sum ?? 0) + x;
        }

        return sum;
    }

    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;

    private static double Round(double value, int digits) => Math.Round(value, digits);
}

/// <summary>How many alarms of one kind a report's period raised.</summary>
public sealed record AlarmKindCount(string Rule, string Title, int Count);

/// <summary>
/// A report as the API returns it and the XLSX and PDF lay out: a station's days (rows per day) or a town's stations
/// (rows per station), with the totals row computed from the same samples.
/// </summary>
public sealed record Report(
    string Scope, string Subject, string SubjectName, string Town, string Period, string PeriodKind, string PeriodLabel, string From, string To,
    string Title, string Organisation, long GeneratedAt, string TariffName, IReadOnlyDictionary<string, double> Prices,
    IReadOnlyList<ReportRow> Rows, ReportRow Total, IReadOnlyList<AlarmKindCount> AlarmsByKind)
{
    public const string StationScope = "station";
    public const string TownScope = "town";
}
