using Irrigation.Server.Configuration;

namespace Irrigation.Server.Accounting;

/// <summary>Daily energy and water accounting (docs/accounting.md).</summary>
public sealed class AccountingOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Accounting";

    public const double DefaultWaterPerKwhValue = 20;

    /// <summary>How often the recent days are recomputed (also once at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Beijing days recomputed on each pass: 2 = today and yesterday.</summary>
    public int Days { get; set; } = 2;

    /// <summary>Beijing days recomputed by the first pass after start (picks up data replayed while the server was down).</summary>
    public int DaysOnStart { get; set; } = 7;

    /// <summary>A counter that falls to at most this fraction of its previous reading was reset (counts from zero); a smaller fall is a replaced meter.</summary>
    public double ResetRatio { get; set; } = 0.1;

    /// <summary>How far back the last reading before a day is looked for (the baseline of its first step).</summary>
    public TimeSpan BaselineLookback { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A pump's running state holds from one reading to the next for at most this long (snapshots come every minute).</summary>
    public TimeSpan RunningHold { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>以电折水 coefficient (m³ per kWh) of a station without a calibrated one; a placeholder until a flow test.</summary>
    public double DefaultWaterPerKwh { get; set; } = DefaultWaterPerKwhValue;

    /// <summary>Calibrated 以电折水 coefficients by station id (m³ per kWh, from the station's flow test).</summary>
    public Dictionary<string, double> WaterPerKwh { get; set; } = new(StringComparer.Ordinal);

    public double CoefficientOf(string station) => WaterPerKwh.TryGetValue(station, out var c) ? c : DefaultWaterPerKwh;

    public void Validate()
    {
        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
            throw new ArgumentException("Irrigation:Accounting:Interval must be 1 s..1 day.");
        if (Days is < 1 or > 400 || DaysOnStart is < 1 or > 400)
            throw new ArgumentException("Irrigation:Accounting:Days and DaysOnStart must be 1..400.");
        if (ResetRatio is <= 0 or >= 1 || double.IsNaN(ResetRatio))
            throw new ArgumentException("Irrigation:Accounting:ResetRatio must be between 0 and 1 (exclusive).");
        if (BaselineLookback < TimeSpan.FromHours(1))
            throw new ArgumentException("Irrigation:Accounting:BaselineLookback must be at least 1 h.");
        if (RunningHold < TimeSpan.FromSeconds(1))
            throw new ArgumentException("Irrigation:Accounting:RunningHold must be at least 1 s.");
        foreach (var (station, coefficient) in WaterPerKwh.Append(new("(default)", DefaultWaterPerKwh)))
        {
            if (!double.IsFinite(coefficient) || coefficient < 0)
                throw new ArgumentException($"Irrigation:Accounting:WaterPerKwh of {station} must be a finite number ≥ 0 (m³/kWh).");
        }
    }
}
