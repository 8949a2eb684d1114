using Irrigation.Server.Tariffs;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Tests.Tariffs;

/// <summary>
/// Tariff periods (峰/平/谷) for plans' estimated and actual costs (docs/plans.md "Tariffs"): the built-in default is
/// exactly the Zhejiang table documented and cited there (浙发改价格〔2026〕112号), periods are judged on Beijing time by
/// month, a bureau's own periods and prices replace the default, and bad settings are refused at start-up.
/// </summary>
public sealed class TariffBookTests
{
    private static TariffBook Book(TariffOptions? options = null) => new(Options.Create(options ?? new TariffOptions()));

    private static string[] Bands(TariffBook book, DateOnly day) =>
        book.Bands(day).Select(b => $"{b.Kind} {b.From}-{b.To}").ToArray();

    /// <summary>Hours summed minute by minute, to the second.</summary>
    private static double R(double hours) => Math.Round(hours, 4);

    private static long Beijing(int year, int month, int day, int hour, int minute) =>
        new DateTimeOffset(year, month, day, hour, minute, 0, TimeSpan.FromHours(8)).ToUnixTimeMilliseconds();

    [Fact]
    public void Default_IsTheDocumentedZhejiangTable_SpringAutumnWithoutSharp_SummerWinterWithSharp1800To2200()
    {
        var book = Book();
        Assert.Contains("浙发改价格〔2026〕112号", book.Name, StringComparison.Ordinal);

        string[] springAutumn = ["valley 00:00-07:00", "flat 07:00-11:00", "valley 11:00-14:00", "flat 14:00-16:00", "peak 16:00-23:00", "flat 23:00-24:00"];
        string[] summerWinter = ["valley 00:00-07:00", "flat 07:00-11:00", "valley 11:00-14:00", "flat 14:00-16:00", "peak 16:00-18:00", "sharp 18:00-22:00", "peak 22:00-23:00", "flat 23:00-24:00"];
        foreach (var month in new[] { 2, 3, 4, 5, 6, 9, 10, 11 })
            Assert.Equal(springAutumn, Bands(book, new DateOnly(2026, month, 15)));
        foreach (var month in new[] { 1, 7, 8, 12 })
            Assert.Equal(summerWinter, Bands(book, new DateOnly(2026, month, 15)));

        // Prices: the flat price times 2.05 : 1.85 : 1 : 0.4.
        Assert.Equal(0.60, book.Price(TariffKinds.Flat), 6);
        Assert.Equal(0.60 * 2.05, book.Price(TariffKinds.Sharp), 6);
        Assert.Equal(0.60 * 1.85, book.Price(TariffKinds.Peak), 6);
        Assert.Equal(0.60 * 0.4, book.Price(TariffKinds.Valley), 6);
        Assert.All(book.Bands(new DateOnly(2026, 7, 15)), b => Assert.Equal(book.Price(b.Kind), b.Price, 6));
    }

    [Fact]
    public void KindAt_IsJudgedOnBeijingTime_ByTheBeijingMonth()
    {
        var book = Book();
        Assert.Equal(TariffKinds.Valley, book.KindAt(Beijing(2026, 4, 15, 6, 59)));
        Assert.Equal(TariffKinds.Flat, book.KindAt(Beijing(2026, 4, 15, 7, 0)));
        Assert.Equal(TariffKinds.Peak, book.KindAt(Beijing(2026, 4, 15, 22, 59)));
        Assert.Equal(TariffKinds.Flat, book.KindAt(Beijing(2026, 4, 15, 23, 0)));

        // 18:30 Beijing on 30 June is still spring/autumn (peak); a day later it is summer (sharp). In UTC both are 10:30.
        Assert.Equal(TariffKinds.Peak, book.KindAt(DateTimeOffset.Parse("2026-06-30T10:30:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()));
        Assert.Equal(TariffKinds.Sharp, book.KindAt(DateTimeOffset.Parse("2026-07-01T10:30:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()));
        // 22:30 UTC on 31 July is 06:30 Beijing on 1 August: valley (read as a UTC hour it would have been July's 22:00-23:00 peak).
        Assert.Equal(TariffKinds.Valley, book.KindAt(DateTimeOffset.Parse("2026-07-31T22:30:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()));
    }

    [Fact]
    public void Split_CountsTheHoursInEachPeriod_AWholeDayHas24_CostSpreadsTheEnergyOverThem()
    {
        var book = Book();
        var july = book.Split(Beijing(2026, 7, 15, 0, 0), Beijing(2026, 7, 16, 0, 0));
        Assert.Equal(24, july.TotalHours, 9);
        Assert.Equal((10.0, 7.0, 3.0, 4.0), (R(july.Hours[TariffKinds.Valley]), R(july.Hours[TariffKinds.Flat]), R(july.Hours[TariffKinds.Peak]), R(july.Hours[TariffKinds.Sharp])));
        var april = book.Split(Beijing(2026, 4, 15, 0, 0), Beijing(2026, 4, 16, 0, 0));
        Assert.Equal((10.0, 7.0, 7.0, 0.0), (R(april.Hours[TariffKinds.Valley]), R(april.Hours[TariffKinds.Flat]), R(april.Hours[TariffKinds.Peak]), R(april.Hours[TariffKinds.Sharp])));

        // A run 06:30-07:30: half an hour valley, half flat; 10 kWh over it cost 5 × 0.24 + 5 × 0.60 = 4.20 yuan.
        var run = book.Split(Beijing(2026, 4, 15, 6, 30), Beijing(2026, 4, 15, 7, 30));
        Assert.Equal((0.5, 0.5), (R(run.Hours[TariffKinds.Valley]), R(run.Hours[TariffKinds.Flat])));
        Assert.Equal(4.20, book.Cost(run, 10), 2);

        // The same energy in the valley costs 0.4 of the flat price, in the sharp period 2.05 of it: why plans prefer valley hours.
        Assert.Equal(2.40, book.Cost(book.Split(Beijing(2026, 7, 15, 1, 0), Beijing(2026, 7, 15, 2, 0)), 10), 2);
        Assert.Equal(12.30, book.Cost(book.Split(Beijing(2026, 7, 15, 19, 0), Beijing(2026, 7, 15, 20, 0)), 10), 2);
        Assert.Equal(0, book.Cost(book.Split(Beijing(2026, 7, 15, 1, 0), Beijing(2026, 7, 15, 1, 0)), 10));
    }

    [Fact]
    public void ABureausOwnPeriodsAndPrices_ReplaceTheDefault_AndOnePeriodlessSeasonMeansOneFlatRate()
    {
        var book = Book(new TariffOptions
        {
            Name = "某县农排电价",
            FlatPrice = 0.50,
            Ratios = new() { [TariffKinds.Valley] = 0.5 },
            Seasons =
            [
                new()
                {
                    Months = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                    Periods =
                    [
                        new() { Kind = TariffKinds.Valley, From = "00:00", To = "08:00" },
                        new() { Kind = TariffKinds.Peak, From = "08:00", To = "12:00" },
                        new() { Kind = TariffKinds.Valley, From = "22:00", To = "24:00" },
                    ],
                },
            ],
        });
        Assert.Equal("某县农排电价", book.Name);
        Assert.Equal(["valley 00:00-08:00", "peak 08:00-12:00", "flat 12:00-22:00", "valley 22:00-24:00"], Bands(book, new DateOnly(2026, 7, 15)));
        Assert.Equal(0.25, book.Price(TariffKinds.Valley), 6);
        Assert.Equal(0.50 * 1.85, book.Price(TariffKinds.Peak), 6); // a ratio not given keeps Zhejiang's
        Assert.Equal(TariffKinds.Flat, book.KindAt(Beijing(2026, 7, 15, 19, 0))); // no sharp period any more

        var flat = Book(new TariffOptions { FlatPrice = 0.55, Seasons = [new() { Months = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }] });
        Assert.Equal(["flat 00:00-24:00"], Bands(flat, new DateOnly(2026, 7, 15)));
        Assert.Equal(5.50, flat.Cost(flat.Split(Beijing(2026, 7, 15, 18, 0), Beijing(2026, 7, 15, 20, 0)), 10), 2);
    }

    [Fact]
    public void Validate_TheDefaultPasses_OverlapsMonthsTwiceUnknownKindsAndBackwardPeriodsRefused()
    {
        new TariffOptions().Validate();

        static TariffOptions With(params TariffSeason[] seasons) => new() { Seasons = [.. seasons] };
        static TariffSeason Season(int[] months, params (string Kind, string From, string To)[] periods) =>
            new() { Months = [.. months], Periods = periods.Select(p => new TariffPeriod { Kind = p.Kind, From = p.From, To = p.To }).ToList() };

        Assert.Contains("periods overlap at 07:00", Assert.Throws<ArgumentException>(() => With(Season([1], ("valley", "00:00", "08:00"), ("peak", "07:00", "09:00"))).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("each in one season only", Assert.Throws<ArgumentException>(() => With(Season([1, 2]), Season([2, 3])).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("must be one of", Assert.Throws<ArgumentException>(() => With(Season([1], ("deep", "00:00", "01:00"))).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("From before To", Assert.Throws<ArgumentException>(() => With(Season([1], ("peak", "18:00", "16:00"))).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("is not a period kind", Assert.Throws<ArgumentException>(() => new TariffOptions { Ratios = new() { ["offpeak"] = 0.3 } }.Validate()).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new TariffOptions { FlatPrice = -1 }.Validate());
    }
}
