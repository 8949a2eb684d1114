using Irrigation.Server.Accounting;
using Irrigation.Server.Storage;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Tests;

/// <summary>Which late telemetry widens the next accounting pass, and by how many days, per station.</summary>
public sealed class LateTelemetryTests
{
    // 2026-11-22 10:00 Beijing time.
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 2, 0, 0, TimeSpan.Zero);

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static long Beijing(int day, int hour) => new DateTimeOffset(2026, 11, day, hour, 0, 0, TimeSpan.FromHours(8)).ToUnixTimeMilliseconds();

    private static (LateTelemetry Late, Clock Clock) Create()
    {
        var options = new AccountingOptions
        {
            Days = 2,        // today and yesterday every pass
            DaysOnStart = 7, // the first pass: 16th..22nd
            Interval = TimeSpan.FromMinutes(5),
        };
        var clock = new Clock(Now);
        return (new LateTelemetry(Options.Create(options), Options.Create(new ServerInfluxOptions()), clock), clock);
    }

    [Fact]
    public void BeforeTheFirstPass_OnlyDataOlderThanDaysOnStartIsLate()
    {
        var (late, _) = Create();

        Assert.False(late.IsLate(Beijing(16, 0)));
        Assert.True(late.IsLate(Beijing(15, 23)));
    }

    [Fact]
    public void AfterAPass_DataBeforeYesterdayIsLate_NextPassWidensThatStationToItsOldestDay()
    {
        var (late, _) = Create();
        Assert.Empty(late.Take());

        Assert.False(late.IsLate(Beijing(21, 0)));
        Assert.True(late.IsLate(Beijing(20, 23)));
        late.Stored("st001", Beijing(19, 6));
        late.Stored("st001", Beijing(18, 23)); // the oldest counts
        late.Stored("st001", Beijing(20, 1));
        late.Stored("st002", Beijing(21, 12)); // inside the regular window: nothing to do
        late.Stored("st003", Now.AddDays(-91).ToUnixTimeMilliseconds()); // beyond the 90-day raw retention: InfluxDB has none of it

        Assert.Equal(new Dictionary<string, int> { ["st001"] = 5 }, late.Take()); // 18th..22nd
        Assert.Empty(late.Take());                                                   // taken once
    }

    [Fact]
    public void FailedPass_MarksComeBack_SpoolReplayWidensEveryStationToDaysOnStart()
    {
        var (late, _) = Create();
        late.Take();
        late.Stored("st001", Beijing(17, 8));
        var taken = late.Take();

        late.Restore(taken);

        Assert.Equal(6, late.Take()["st001"]);
        late.StoredFromSpool();
        Assert.Equal(new Dictionary<string, int> { [LateTelemetry.AllStations] = 7 }, late.Take());
    }

    [Fact]
    public void JustBeforeBeijingMidnight_TheWindowLooksOneIntervalAhead()
    {
        var (late, clock) = Create();
        clock.Now = new DateTimeOffset(2026, 11, 22, 23, 58, 0, TimeSpan.FromHours(8));
        late.Take(); // the next pass, after midnight, will cover the 22nd and 23rd only

        Assert.True(late.IsLate(Beijing(21, 12)));
        Assert.False(late.IsLate(Beijing(22, 0)));
    }
}
