using Irrigation.Contracts;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Tariffs;

/// <summary>The time spent in each tariff period and what energy costs there.</summary>
public sealed record TariffSplit(IReadOnlyDictionary<string, double> Hours)
{
    public double TotalHours => Hours.Values.Sum();
}

/// <summary>One period of a day as the app shows it.</summary>
public sealed record TariffBand(string Kind, string From, string To, double Price);

/// <summary>
/// Which tariff period an instant falls in (Beijing time, by month), and costs: estimated from hours and power, actual
/// from a run's measured energy spread over its hours in proportion to time.
/// </summary>
public sealed class TariffBook
{
    private static readonly Dictionary<string, double> ZhejiangRatios = new(StringComparer.Ordinal)
    {
        [TariffKinds.Sharp] = 2.05,
        [TariffKinds.Peak] = 1.85,
        [TariffKinds.Flat] = 1,
        [TariffKinds.Valley] = 0.4,
    };

    /// <summary>浙发改价格〔2026〕112号: spring/autumn (2-6, 9-11) and summer/winter (1, 7, 8, 12).</summary>
    private static readonly TariffSeason[] ZhejiangSeasons =
    [
        new()
        {
            Months = [2, 3, 4, 5, 6, 9, 10, 11],
            Periods =
            [
                new() { Kind = TariffKinds.Valley, From = "00:00", To = "07:00" },
                new() { Kind = TariffKinds.Flat, From = "07:00", To = "11:00" },
                new() { Kind = TariffKinds.Valley, From = "11:00", To = "14:00" },
                new() { Kind = TariffKinds.Flat, From = "14:00", To = "16:00" },
                new() { Kind = TariffKinds.Peak, From = "16:00", To = "23:00" },
                new() { Kind = TariffKinds.Flat, From = "23:00", To = "24:00" },
            ],
        },
        new()
        {
            Months = [1, 7, 8, 12],
            Periods =
            [
                new() { Kind = TariffKinds.Valley, From = "00:00", To = "07:00" },
                new() { Kind = TariffKinds.Flat, From = "07:00", To = "11:00" },
                new() { Kind = TariffKinds.Valley, From = "11:00", To = "14:00" },
                new() { Kind = TariffKinds.Flat, From = "14:00", To = "16:00" },
                new() { Kind = TariffKinds.Peak, From = "16:00", To = "18:00" },
                new() { Kind = TariffKinds.Sharp, From = "18:00", To = "22:00" },
                new() { Kind = TariffKinds.Peak, From = "22:00", To = "23:00" },
                new() { Kind = TariffKinds.Flat, From = "23:00", To = "24:00" },
            ],
        },
    ];

    private readonly TariffOptions _options;
    private readonly string[][] _kindByMonthMinute = new string[13][];

    public TariffBook(IOptions<TariffOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        Seasons = _options.Seasons.Count > 0 ? _options.Seasons : ZhejiangSeasons;
        for (var month = 1; month <= 12; month++)
        {
            var minutes = Enumerable.Repeat(TariffKinds.Flat, 24 * 60).ToArray();
            foreach (var period in Seasons.FirstOrDefault(s => s.Months.Contains(month))?.Periods ?? [])
            {
                for (var m = TariffPeriod.Minutes(period.From)!.Value; m < TariffPeriod.Minutes(period.To)!.Value; m++)
                    minutes[m] = period.Kind;
            }

            _kindByMonthMinute[month] = minutes;
        }
    }

    public string Name => _options.Name;

    public IReadOnlyList<TariffSeason> Seasons { get; }

    public double DefaultPumpKw => _options.DefaultPumpKw;

    public double Price(string kind) => _options.FlatPrice * (_options.Ratios.TryGetValue(kind, out var r) ? r : ZhejiangRatios[kind]);

    /// <summary>The period kind at an instant (Beijing time).</summary>
    public string KindAt(long unixMs)
    {
        var local = DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToOffset(PlanCalendar.BeijingOffset);
        return _kindByMonthMinute[local.Month][local.Hour * 60 + local.Minute];
    }

    /// <summary>Hours of [fromMs, toMs) in each period kind, to the minute.</summary>
    public TariffSplit Split(long fromMs, long toMs)
    {
        var hours = TariffKinds.All.ToDictionary(k => k, _ => 0.0, StringComparer.Ordinal);
        var at = fromMs;
        while (at < toMs)
        {
            var next = Math.Min(toMs, (at / 60_000 + 1) * 60_000);
            hours[KindAt(at)] += (next - at) / 3_600_000.0;
            at = next;
        }

        return new TariffSplit(hours);
    }

    /// <summary>Cost in yuan of <paramref name="kwh"/> used evenly over <paramref name="split"/>'s hours.</summary>
    public double Cost(TariffSplit split, double kwh)
    {
        ArgumentNullException.ThrowIfNull(split);
        var total = split.TotalHours;
        return total <= 0 ? 0 : Math.Round(split.Hours.Sum(h => kwh * (h.Value / total) * Price(h.Key)), 2);
    }

    /// <summary>The bands of the day <paramref name="day"/> falls in (its month's season), for the app.</summary>
    public IReadOnlyList<TariffBand> Bands(DateOnly day)
    {
        var minutes = _kindByMonthMinute[day.Month];
        var bands = new List<TariffBand>();
        var start = 0;
        for (var m = 1; m <= minutes.Length; m++)
        {
            if (m < minutes.Length && minutes[m] == minutes[start])
                continue;
            bands.Add(new TariffBand(minutes[start], $"{start / 60:00}:{start % 60:00}", $"{m / 60:00}:{m % 60:00}", Price(minutes[start])));
            start = m;
        }

        return bands;
    }
}
