using System.Globalization;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Tariffs;

/// <summary>
/// Electricity tariff periods (峰/平/谷, and 尖峰) per bureau, for plans that prefer valley hours and for each run's
/// estimated and actual cost (docs/plans.md "Tariffs"). Without <see cref="Seasons"/> the built-in default is used:
/// Zhejiang's industrial and commercial time-of-use periods from 2026-07-01 (浙发改价格〔2026〕112号); see
/// docs/tariff-research.md for the sources and for why agricultural supplies may pay one flat rate instead (then give
/// one season with no periods: every hour is 平).
/// </summary>
public sealed class TariffOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Tariffs";

    /// <summary>Shown with every cost: which tariff it was computed with.</summary>
    public string Name { get; set; } = "浙江省工商业峰谷分时电价（浙发改价格〔2026〕112号，2026-07-01 起）";

    /// <summary>The flat-period (平段) price in yuan per kWh; the other periods are this times their ratio. An example: set it from the station's bill.</summary>
    public double FlatPrice { get; set; } = 0.60;

    /// <summary>Price ratios to the flat period by kind (sharp, peak, flat, valley). Missing kinds take the Zhejiang ratios 2.05 : 1.85 : 1 : 0.4.</summary>
    public Dictionary<string, double> Ratios { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The periods by months of the year; empty for the built-in Zhejiang default. Hours not covered are flat.</summary>
    public List<TariffSeason> Seasons { get; set; } = new();

    /// <summary>Power assumed for a pump in a plan's cost estimate until the station's own runs give a measured figure (kW).</summary>
    public double DefaultPumpKw { get; set; } = 22;

    public void Validate()
    {
        if (FlatPrice is < 0 or > 100)
            throw new ArgumentException("Irrigation:Tariffs:FlatPrice must be 0..100 yuan per kWh.");
        if (DefaultPumpKw is <= 0 or > 10_000)
            throw new ArgumentException("Irrigation:Tariffs:DefaultPumpKw must be above 0 and at most 10000 kW.");
        foreach (var (kind, ratio) in Ratios)
        {
            if (!TariffKinds.All.Contains(kind))
                throw new ArgumentException($"Irrigation:Tariffs:Ratios:{kind} is not a period kind ({string.Join(", ", TariffKinds.All)}).");
            if (ratio is < 0 or > 20)
                throw new ArgumentException($"Irrigation:Tariffs:Ratios:{kind} must be 0..20.");
        }

        var months = new HashSet<int>();
        for (var i = 0; i < Seasons.Count; i++)
        {
            var season = Seasons[i];
            if (season.Months.Count == 0 || season.Months.Any(m => m is < 1 or > 12 || !months.Add(m)))
                throw new ArgumentException($"Irrigation:Tariffs:Seasons:{i}:Months must name months 1..12, each in one season only.");
            for (var j = 0; j < season.Periods.Count; j++)
            {
                var period = season.Periods[j];
                var at = $"Irrigation:Tariffs:Seasons:{i}:Periods:{j}";
                if (!TariffKinds.All.Contains(period.Kind))
                    throw new ArgumentException($"{at}:Kind '{period.Kind}' must be one of {string.Join(", ", TariffKinds.All)}.");
                if (TariffPeriod.Minutes(period.From) is not { } from || TariffPeriod.Minutes(period.To) is not { } to || to <= from)
                    throw new ArgumentException($"{at}: From and To must be times HH:mm (To may be 24:00) with From before To.");
            }

            var covered = new bool[24 * 60];
            foreach (var period in season.Periods)
            {
                for (var m = TariffPeriod.Minutes(period.From)!.Value; m < TariffPeriod.Minutes(period.To)!.Value; m++)
                {
                    if (covered[m])
                        throw new ArgumentException($"Irrigation:Tariffs:Seasons:{i}: periods overlap at {m / 60:00}:{m % 60:00}.");
                    covered[m] = true;
                }
            }
        }
    }
}

public sealed class TariffSeason
{
    public List<int> Months { get; set; } = new();

    public List<TariffPeriod> Periods { get; set; } = new();
}

public sealed class TariffPeriod
{
    public string Kind { get; set; } = TariffKinds.Flat;

    public string From { get; set; } = "00:00";

    public string To { get; set; } = "24:00";

    /// <summary>Minutes after midnight of "HH:mm" (24:00 allowed); null when not a time.</summary>
    public static int? Minutes(string? text)
    {
        if (text == "24:00")
            return 24 * 60;
        return TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time.Hour * 60 + time.Minute : null;
    }
}

public static class TariffKinds
{
    public const string Sharp = "sharp";
    public const string Peak = "peak";
    public const string Flat = "flat";
    public const string Valley = "valley";

    public static IReadOnlyList<string> All { get; } = [Sharp, Peak, Flat, Valley];
}
