namespace Irrigation.Server.Accounting;

/// <summary>
/// Raw readings of one station for an accounting window, each list in time order, baselines (the last reading before
/// the window) included.
/// </summary>
public sealed class StationReadings
{
    /// <summary><c>forward_energy</c>, the meter's kWh counter.</summary>
    public List<Reading> Energy { get; } = [];

    /// <summary><c>flow_total</c>, the flow totaliser (m³), when the station has one.</summary>
    public List<Reading> Flow { get; } = [];

    /// <summary>Pump rows by pump number.</summary>
    public SortedDictionary<int, List<PumpReading>> Pumps { get; } = [];
}

/// <summary>One pump's figures for one Beijing day.</summary>
public sealed record PumpDay(int Pump, double RunningHours, long Starts, double? Kwh, double? WaterM3);

/// <summary>
/// One station's figures for one Beijing day. <see cref="Kwh"/> is null when the day has no energy reading,
/// <see cref="WaterM3Meter"/> when it has no totaliser reading; <see cref="RunningHours"/> and <see cref="Starts"/>
/// are the sums over the pumps.
/// </summary>
public sealed record StationDay(DateOnly Date, double? Kwh, double? WaterM3, double? WaterM3Meter, double RunningHours, long Starts, IReadOnlyList<PumpDay> Pumps);

/// <summary>Settings of the daily computation.</summary>
public sealed record DailyAccountSettings(double ResetRatio, TimeSpan RunningHold, double WaterPerKwh);

/// <summary>
/// Turns a station's raw readings into daily figures (docs/accounting.md): kWh from the energy counter, water by
/// 以电折水 (kWh × the station's coefficient) and from the totaliser, per pump running hours and starts (from their
/// counters, else from the <c>running</c> signal), and per pump kWh apportioned by running hours × mean motor current.
/// </summary>
public static class DailyAccount
{
    /// <summary>Every day of [<paramref name="fromMs"/>, <paramref name="endMs"/>) that has a reading of the station.</summary>
    public static IReadOnlyList<StationDay> Compute(StationReadings readings, long fromMs, long endMs, DailyAccountSettings settings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        ArgumentNullException.ThrowIfNull(settings);
        var energy = MeterCounter.SumByDay(readings.Energy.Where(r => r.TimeMs < endMs), fromMs, settings.ResetRatio);
        var flow = MeterCounter.SumByDay(readings.Flow.Where(r => r.TimeMs < endMs), fromMs, settings.ResetRatio);
        var pumps = readings.Pumps.Select(p => PumpFigures.Of(p.Key, p.Value, fromMs, endMs, settings)).ToList();

        var dates = new SortedSet<DateOnly>(energy.Keys.Concat(flow.Keys).Concat(pumps.SelectMany(p => p.DaysWithReadings)));
        var days = new List<StationDay>(dates.Count);
        foreach (var date in dates)
        {
            double? kwh = energy.TryGetValue(date, out var k) ? k : null;
            double? meter = flow.TryGetValue(date, out var m) ? m : null;
            var shares = Apportion(kwh, pumps.Select(p => (p.Hours(date), p.MeanCurrent(date))).ToList());
            var pumpDays = pumps.Select((p, i) => new PumpDay(p.Number, p.Hours(date), p.Starts(date), shares[i], shares[i] * settings.WaterPerKwh)).ToList();
            days.Add(new StationDay(date, kwh, kwh * settings.WaterPerKwh, meter, pumpDays.Sum(p => p.RunningHours), pumpDays.Sum(p => p.Starts), pumpDays));
        }

        return days;
    }

    /// <summary>
    /// Splits <paramref name="kwh"/> over the pumps in proportion to running hours × mean motor current while running;
    /// by running hours alone when a pump that ran has no current reading. A single running pump gets all of it. When no
    /// pump ran, every pump gets 0 (the station's own consumption stays in the station total only).
    /// </summary>
    public static double?[] Apportion(double? kwh, IReadOnlyList<(double Hours, double? MeanCurrent)> pumps)
    {
        ArgumentNullException.ThrowIfNull(pumps);
        var shares = new double?[pumps.Count];
        if (kwh is not { } total)
            return shares;
        var useCurrent = pumps.All(p => p.Hours <= 0 || p.MeanCurrent is > 0);
        var weights = pumps.Select(p => p.Hours <= 0 ? 0 : useCurrent ? p.Hours * p.MeanCurrent!.Value : p.Hours).ToArray();
        var sum = weights.Sum();
        for (var i = 0; i < shares.Length; i++)
            shares[i] = sum > 0 ? total * weights[i] / sum : 0;
        return shares;
    }

    /// <summary>One pump's counters and signals by day.</summary>
    private sealed class PumpFigures
    {
        private SortedDictionary<DateOnly, double>? _runHours;
        private SortedDictionary<DateOnly, double>? _starts;
        private SortedDictionary<DateOnly, PumpActivity> _activity = [];

        public int Number { get; private init; }

        public IEnumerable<DateOnly> DaysWithReadings => _activity.Where(d => d.Value.HasReadings).Select(d => d.Key);

        public static PumpFigures Of(int number, List<PumpReading> readings, long fromMs, long endMs, DailyAccountSettings settings)
        {
            var inWindow = readings.Where(r => r.TimeMs < endMs).ToList();
            var figures = new PumpFigures { Number = number, _activity = PumpActivity.ByDay(inWindow, fromMs, endMs, settings.RunningHold) };
            // The controller's own counters win over what the signals say: they also count what happened between polls.
            if (inWindow.Any(r => r.RunHours is not null))
                figures._runHours = MeterCounter.SumByDay(inWindow.Where(r => r.RunHours is not null).Select(r => new Reading(r.TimeMs, r.RunHours!.Value)), fromMs, settings.ResetRatio);
            if (inWindow.Any(r => r.Starts is not null))
                figures._starts = MeterCounter.SumByDay(inWindow.Where(r => r.Starts is not null).Select(r => new Reading(r.TimeMs, r.Starts!.Value)), fromMs, settings.ResetRatio);
            return figures;
        }

        public double Hours(DateOnly date) => _runHours is not null
            ? _runHours.GetValueOrDefault(date)
            : (_activity.GetValueOrDefault(date)?.RunningSeconds ?? 0) / 3600;

        public long Starts(DateOnly date) => _starts is not null
            ? (long)Math.Round(_starts.GetValueOrDefault(date))
            : _activity.GetValueOrDefault(date)?.Starts ?? 0;

        public double? MeanCurrent(DateOnly date) => _activity.GetValueOrDefault(date)?.MeanRunningCurrent;
    }
}
