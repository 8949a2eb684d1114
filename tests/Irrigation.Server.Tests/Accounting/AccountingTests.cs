using Irrigation.Server.Accounting;
using Irrigation.Contracts;

namespace Irrigation.Server.Tests;

/// <summary>The accounting rules alone, with exact numbers: Beijing days, counter steps, pump activity, apportioning.</summary>
public sealed class AccountingTests
{
    // 2025-11-22 00:00 Beijing = 2025-11-21 16:00 UTC.
    private static readonly DateOnly Day1 = new(2025, 11, 21);
    private static readonly DateOnly Day2 = new(2025, 11, 22);
    private static readonly long Midnight = new DateTimeOffset(2025, 11, 21, 16, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly DailyAccountSettings Settings = new(0.1, TimeSpan.FromMinutes(5), 10);

    private static long Min(int minutes) => Midnight + minutes * 60_000L;

    [Fact]
    public void BeijingTime_MidnightIsSixteenHundredUtc()
    {
        Assert.Equal(Midnight, BeijingTime.StartOfMs(Day2));
        Assert.Equal(Day2, BeijingTime.DateOf(Midnight));
        Assert.Equal(Day1, BeijingTime.DateOf(Midnight - 1));
        Assert.Equal(TimeSpan.FromHours(8), BeijingTime.Zone.GetUtcOffset(DateTimeOffset.FromUnixTimeMilliseconds(Midnight)));
    }

    [Theory]
    [InlineData(100.0, 104.5, 4.5, CounterStep.Advance)]
    [InlineData(100.0, 100.0, 0.0, CounterStep.Advance)]
    [InlineData(1016.0, 1.0, 1.0, CounterStep.Reset)]
    [InlineData(1000.0, 100.0, 100.0, CounterStep.Reset)] // exactly 10 %: still a reset
    [InlineData(1016.0, 800.0, 0.0, CounterStep.Replacement)]
    [InlineData(100.0, 99.5, 0.0, CounterStep.Replacement)]
    public void Step_RiseResetOrReplacement_CountsAsDocumented(double previous, double current, double counted, CounterStep kind)
    {
        Assert.Equal(counted, MeterCounter.Step(previous, current, 0.1, out var actual));
        Assert.Equal(kind, actual);
    }

    [Fact]
    public void SumByDay_AcrossMidnightWithReplacementAndReset_AttributesEachStepToTheDayOfItsLaterReading()
    {
        Reading[] readings =
        [
            new(Min(-60), 1000), new(Min(-30), 1005), new(Min(-10), 1008), // day 1: 8
            new(Min(10), 1012), new(Min(20), 1016),                         // the step over midnight counts on day 2
            new(Min(30), 800), new(Min(40), 803),                           // another meter: 1016 → 800 not counted
            new(Min(50), 1), new(Min(60), 4),                               // reset: 1 counts, then +3
        ];

        var days = MeterCounter.SumByDay(readings, Min(-24 * 60), 0.1);

        Assert.Equal([Day1, Day2], days.Keys);
        Assert.Equal(8, days[Day1]);
        Assert.Equal(15, days[Day2]);
    }

    [Fact]
    public void SumByDay_BaselineBeforeTheWindow_CountsOnlyTheFirstStepNotTheBaseline()
    {
        Reading[] readings = [new(Min(-5), 500), new(Min(5), 502.5), new(Min(6), -1), new(Min(7), double.NaN)];

        var days = MeterCounter.SumByDay(readings, Midnight, 0.1);

        Assert.Equal(2.5, Assert.Single(days).Value);
    }

    [Fact]
    public void PumpActivity_RunningOverMidnight_SplitsAtMidnightHoldsAtMostTheLimitAndCountsStarts()
    {
        PumpReading[] readings =
        [
            new(Min(-70), 0, null, null, 0),   // baseline before the window (window starts at Min(-60))
            new(Min(-20), 1, null, null, 20),  // start on day 1
            new(Min(-10), 1, null, null, 30),
            new(Min(10), 1, null, null, 30),   // 20 min gap: only 5 min of it held
            new(Min(30), 0, null, null, 0),
            new(Min(40), 1, null, null, 10),   // start on day 2; the window ends at Min(42)
        ];

        var days = PumpActivity.ByDay(readings, Min(-60), Min(42), TimeSpan.FromMinutes(5));

        // Day 1: -20 → -15 at 20 A (the 10 min to the next reading held only 5), -10 → -5 at 30 A.
        // Day 2: 10 → 15 at 30 A (the 20 min gap held only 5), stopped at 30, started at 40 → 42 (the window's end) at 10 A.
        Assert.Equal(600, days[Day1].RunningSeconds);
        Assert.Equal(1, days[Day1].Starts);
        Assert.Equal(25, days[Day1].MeanRunningCurrent);
        Assert.Equal(420, days[Day2].RunningSeconds);
        Assert.Equal(1, days[Day2].Starts);
        Assert.Equal((300 * 30 + 120 * 10) / 420.0, days[Day2].MeanRunningCurrent);
    }

    [Fact]
    public void PumpActivity_HeldOverMidnight_IsSplitExactlyAtBeijingMidnight()
    {
        PumpReading[] readings = [new(Min(-2), 1, null, null, 12), new(Min(2), 1, null, null, 12)];

        var days = PumpActivity.ByDay(readings, Min(-60), Min(60), TimeSpan.FromMinutes(5));

        Assert.Equal(120, days[Day1].RunningSeconds);
        Assert.Equal(120 + 300, days[Day2].RunningSeconds); // -2 → 0 on day 1; 0 → 2, then held 2 → 7 on day 2
        Assert.Equal(0, days[Day1].Starts); // no known stopped state before: not a start
    }

    [Fact]
    public void Apportion_RunningHoursTimesMeanCurrent_SplitsTheStationKwh()
    {
        var shares = DailyAccount.Apportion(15, [(1.0, 20), (0.75, 40), (0, null)]);

        Assert.Equal([6.0, 9.0, 0.0], shares);
    }

    [Fact]
    public void Apportion_SinglePumpRan_GetsEverything()
    {
        Assert.Equal([8.0, 0.0], DailyAccount.Apportion(8, [(0.75, 20), (0, 0)]));
    }

    [Fact]
    public void Apportion_ARunningPumpWithoutCurrent_SplitsByHoursAlone()
    {
        Assert.Equal([3.0, 9.0], DailyAccount.Apportion(12, [(0.5, 20), (1.5, null)]));
    }

    [Fact]
    public void Apportion_NoPumpRanOrNoEnergyReading_GivesZeroOrUnknown()
    {
        Assert.Equal([0.0, 0.0], DailyAccount.Apportion(2, [(0, null), (0, null)]));
        Assert.Equal([null, null], DailyAccount.Apportion(null, [(1, 10), (0, null)]));
    }

    [Fact]
    public void Compute_TwoPumpsAcrossMidnightWithMeterReplacementAndReset_GivesExactDailyFigures()
    {
        var readings = Scenario();

        var days = DailyAccount.Compute(readings, BeijingTime.StartOfMs(Day1), Min(24 * 60), Settings);

        Assert.Equal(2, days.Count);
        var (d1, d2) = (days[0], days[1]);
        Assert.Equal(Day1, d1.Date);
        Assert.Equal((8.0, 80.0, 80.0, 0.75, 0L), (d1.Kwh, d1.WaterM3, d1.WaterM3Meter, d1.RunningHours, d1.Starts));
        Assert.Equal([new PumpDay(1, 0.75, 0, 8, 80), new PumpDay(2, 0, 0, 0, 0)], d1.Pumps);
        Assert.Equal(Day2, d2.Date);
        Assert.Equal((15.0, 150.0, 70.0, 1.75, 1L), (d2.Kwh, d2.WaterM3, d2.WaterM3Meter, d2.RunningHours, d2.Starts));
        Assert.Equal([new PumpDay(1, 1.0, 0, 6, 60), new PumpDay(2, 0.75, 1, 9, 90)], d2.Pumps);
    }

    [Fact]
    public void Points_StationDay_AreTaggedPumpZeroForTheStationAtBeijingMidnightWithIntegerStarts()
    {
        var day = new StationDay(Day2, 15, 150, 70, 1.75, 1, [new PumpDay(1, 1.0, 0, 6, 60), new PumpDay(2, 0.75, 1, 9, 90)]);

        var lines = EnergyAccounting.Points("acc01", day).Select(p => p.ToLineProtocol()).ToList();

        var ms = Midnight.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
        [
            $"energy_daily,pump=0,station=acc01 kwh=15,running_hours=1.75,starts=1i,water_m3=150,water_m3_meter=70 {ms}",
            $"energy_daily,pump=1,station=acc01 kwh=6,running_hours=1,starts=0i,water_m3=60 {ms}",
            $"energy_daily,pump=2,station=acc01 kwh=9,running_hours=0.75,starts=1i,water_m3=90 {ms}",
        ], lines);
    }

    /// <summary>The scenario the integration test publishes: shared so both assert the same numbers.</summary>
    internal static StationReadings Scenario()
    {
        var readings = new StationReadings();
        // minute, energy kWh, totaliser m³, pump 1 (running, A, starts, h), pump 2 (running, A, starts, h)
        foreach (var row in AccountingScenario.Rows)
        {
            var t = Midnight + row.Minute * 60_000L;
            readings.Energy.Add(new Reading(t, row.Energy));
            readings.Flow.Add(new Reading(t, row.Flow));
            for (var p = 0; p < 2; p++)
            {
                if (!readings.Pumps.TryGetValue(p + 1, out var list))
                    readings.Pumps[p + 1] = list = [];
                list.Add(new PumpReading(t, row.Pumps[p].Running, row.Pumps[p].Starts, row.Pumps[p].RunHours, row.Pumps[p].Current));
            }
        }

        return readings;
    }
}

/// <summary>
/// Telemetry around a Beijing midnight (minutes relative to it): day 1 uses 8 kWh; day 2 uses 4 + 4 (the step over
/// midnight included), then the meter is replaced (1016 → 800, not counted), +3, a reset to 1 (counts 1), +3 = 15 kWh.
/// Pump 1 runs throughout at 20 A (run-hours counter +0.75 h on day 1, +1.0 h on day 2); pump 2 starts after midnight
/// at 40 A (+0.75 h, starts 5 → 6). Day 2's 15 kWh split by hours × current: 20 : 30 → 6 and 9 kWh.
/// </summary>
internal static class AccountingScenario
{
    public sealed record PumpRow(double Running, double Current, double Starts, double RunHours);

    public sealed record Row(int Minute, double Energy, double Flow, PumpRow[] Pumps);

    public static readonly Row[] Rows =
    [
        new(-60, 1000, 500, [new(1, 20, 10, 100), new(0, 0, 5, 50)]),
        new(-30, 1005, 550, [new(1, 20, 10, 100.5), new(0, 0, 5, 50)]),
        new(-10, 1008, 580, [new(1, 20, 10, 100.75), new(0, 0, 5, 50)]),
        new(10, 1012, 600, [new(1, 20, 10, 101), new(1, 40, 6, 50)]),
        new(20, 1016, 610, [new(1, 20, 10, 101.25), new(1, 40, 6, 50.25)]),
        new(30, 800, 620, [new(1, 20, 10, 101.5), new(1, 40, 6, 50.25)]),
        new(40, 803, 630, [new(1, 20, 10, 101.5), new(1, 40, 6, 50.5)]),
        new(50, 1, 640, [new(1, 20, 10, 101.75), new(1, 40, 6, 50.5)]),
        new(60, 4, 650, [new(1, 20, 10, 101.75), new(1, 40, 6, 50.75)]),
    ];
}
