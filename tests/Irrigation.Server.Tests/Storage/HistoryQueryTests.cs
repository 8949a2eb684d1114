using Irrigation.Server.Storage;
using Irrigation.Server.Stations;

namespace Irrigation.Server.Tests;

/// <summary>Which series a history request reads, and how the range is parsed.</summary>
public sealed class HistoryQueryTests
{
    [Theory]
    [InlineData(1, "raw", "raw", "", 10)]
    [InlineData(6, "raw", "raw", "", 30)]
    [InlineData(24, "rollup_1m", "1m", "mean_", 120)]
    [InlineData(24 * 7, "rollup_1m", "1m", "mean_", 840)]
    [InlineData(24 * 30, "rollup_1h", "1h", "mean_", 3600)]
    [InlineData(24 * 365, "rollup_1h", "1h", "mean_", 46800)]
    public void Plan_ByRange_RawUpTo6HoursMinuteRollupUpTo7DaysHourRollupBeyond_AtMost720Buckets(int hours, string policy, string resolution, string prefix, int bucketSeconds)
    {
        var plan = HistoryQuery.Plan(TimeSpan.FromHours(hours));

        Assert.Equal((policy, resolution, prefix, TimeSpan.FromSeconds(bucketSeconds)), (plan.Policy, plan.Resolution, plan.FieldPrefix, plan.Bucket));
        Assert.True(TimeSpan.FromHours(hours) / plan.Bucket <= HistoryQuery.MaxPoints);
    }

    [Theory]
    [InlineData("24h", null, null, true, 24)]
    [InlineData("7d", null, null, true, 168)]
    [InlineData("2d", null, null, false, 0)]
    [InlineData(null, "2026-11-20T16:00:00Z", "2026-11-21T16:00:00Z", true, 24)]
    [InlineData(null, "1795190400000", null, true, 24 + 12)]
    [InlineData(null, "yesterday", null, false, 0)]
    [InlineData(null, "2026-11-21T16:00:00Z", "2026-11-20T16:00:00Z", false, 0)]
    public void TryParseRange_NamedRangesOrFromTo_RejectsUnknownAndBackwards(string? range, string? from, string? to, bool ok, int hours)
    {
        var now = new DateTimeOffset(2026, 11, 22, 4, 0, 0, TimeSpan.Zero);

        var parsed = HistoryQuery.TryParseRange(range, from, to, now, out var start, out var end, out var error);

        Assert.Equal(ok, parsed);
        if (ok)
            Assert.Equal(TimeSpan.FromHours(hours), end - start);
        else
            Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("active_power", true)]
    [InlineData("pump2.motor_current", true)]
    [InlineData("pump0.running", false)]
    [InlineData("x\" OR 1=1", false)]
    [InlineData("Voltage", false)]
    [InlineData("", false)]
    public void IsValidQuantity_OnlyProfileStyleKeys(string quantity, bool valid) => Assert.Equal(valid, HistoryQuery.IsValidQuantity(quantity));
}
