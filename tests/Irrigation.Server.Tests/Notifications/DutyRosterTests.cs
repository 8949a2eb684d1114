using Irrigation.Contracts;
using Irrigation.Server.Alarms;
using Irrigation.Server.Notifications;

namespace Irrigation.Server.Tests.Notifications;

/// <summary>Duty windows and quiet hours in Beijing time, across midnight; the escalation plan built on them.</summary>
public sealed class DutyRosterTests
{
    private static readonly DateOnly Day = new(2026, 11, 22);

    private static long At(string hhmm, int dayOffset = 0) => BeijingTime.Ms(Day.AddDays(dayOffset), TimeOnly.Parse(hhmm, System.Globalization.CultureInfo.InvariantCulture));

    private static DutyRoster Roster() => new([
        new TownRosterOptions
        {
            Town = "城东镇",
            Windows =
            [
                new DutyWindowOptions { From = "08:00", To = "20:00", People = [new() { Name = "白班甲", Phone = "13800000001" }, new() { Name = "白班乙", Phone = "13800000002" }] },
                new DutyWindowOptions { From = "20:00", To = "08:00", People = [new() { Name = "夜班甲", Phone = "13900000001" }, new() { Name = "夜班乙", Phone = "13900000002" }] },
            ],
        },
    ]);

    [Theory]
    [InlineData("08:00", "白班甲")]
    [InlineData("12:30", "白班甲")]
    [InlineData("19:59", "白班甲")]
    [InlineData("20:00", "夜班甲")] // a window includes its start …
    [InlineData("23:59", "夜班甲")]
    [InlineData("00:00", "夜班甲")] // … across midnight …
    [InlineData("03:00", "夜班甲")]
    [InlineData("07:59", "夜班甲")] // … and excludes its end
    public void OnDuty_WindowsAcrossMidnight_PickTheWindowOfTheBeijingTime(string time, string first)
    {
        var people = Roster().OnDuty("城东镇", At(time));
        Assert.Equal(first, people[0].Name);
        Assert.Equal(2, people.Count);
    }

    [Fact]
    public void OnDuty_UnknownTownOrNoWindow_NoOne()
    {
        Assert.Empty(Roster().OnDuty("城西镇", At("03:00")));
        var gap = new DutyRoster([new TownRosterOptions { Town = "新塘镇", Windows = [new() { From = "22:00", To = "06:00", People = [new() { Name = "甲", Phone = "13800000001" }] }] }]);
        Assert.Empty(gap.OnDuty("新塘镇", At("12:00")));
        Assert.Single(gap.OnDuty("新塘镇", At("05:59")));
    }

    [Fact]
    public void OnDuty_BeijingNotUtc_UtcEveningIsBeijingMorning()
    {
        // 2026-11-21 23:30 UTC is 07:30 on the 22nd in Beijing: still the night shift; 00:30 UTC is 08:30: the day shift.
        Assert.Equal("夜班甲", Roster().OnDuty("城东镇", new DateTimeOffset(2026, 11, 21, 23, 30, 0, TimeSpan.Zero).ToUnixTimeMilliseconds())[0].Name);
        Assert.Equal("白班甲", Roster().OnDuty("城东镇", new DateTimeOffset(2026, 11, 22, 0, 30, 0, TimeSpan.Zero).ToUnixTimeMilliseconds())[0].Name);
    }

    [Fact]
    public void QuietHours_AcrossMidnight_EndAtTheirEndOnTheRightDay()
    {
        var quiet = new ClockWindow(new TimeOnly(22, 0), new TimeOnly(7, 0));
        Assert.Equal(At("07:00", 1), quiet.EndAfter(At("23:15"))); // before midnight: ends tomorrow
        Assert.Equal(At("07:00"), quiet.EndAfter(At("02:00"))); // after midnight: ends today
        Assert.Equal(At("12:00"), quiet.EndAfter(At("12:00"))); // outside: at once
        Assert.Equal(At("07:00"), quiet.EndAfter(At("07:00")));
        var afternoon = new ClockWindow(new TimeOnly(12, 0), new TimeOnly(14, 0));
        Assert.Equal(At("14:00"), afternoon.EndAfter(At("13:00")));
    }

    [Fact]
    public void Plan_CriticalAtNight_SmsFirstThenNextThenVoiceCallsInTurn()
    {
        var people = Roster().OnDuty("城东镇", At("02:00"));
        var start = EscalationPlanner.StartMs(AlarmSeverity.Critical, At("02:00"), new ClockWindow(new TimeOnly(22, 0), new TimeOnly(7, 0)));
        Assert.Equal(At("02:00"), start); // critical: quiet hours do not hold it back

        var plan = EscalationPlanner.Plan(AlarmSeverity.Critical, start, people, TimeSpan.FromMinutes(10), voiceCalls: 3);

        Assert.Equal(
            [
                (0, "sms", "夜班甲", At("02:00")), (1, "sms", "夜班乙", At("02:10")),
                (2, "voice", "夜班甲", At("02:20")), (3, "voice", "夜班乙", At("02:30")), (4, "voice", "夜班甲", At("02:40")),
            ],
            plan.Select(s => (s.Step, s.Channel, s.Person.Name, s.DueMs)));
    }

    [Fact]
    public void Plan_NonCriticalInQuietHours_WaitsForTheirEnd_AndNeverCalls()
    {
        var quiet = new ClockWindow(new TimeOnly(22, 0), new TimeOnly(7, 0));
        var start = EscalationPlanner.StartMs(AlarmSeverity.Major, At("23:30"), quiet);
        Assert.Equal(At("07:00", 1), start);
        var plan = EscalationPlanner.Plan(AlarmSeverity.Major, start, Roster().OnDuty("城东镇", start), TimeSpan.FromMinutes(10), voiceCalls: 3);
        Assert.Equal([(0, "sms", "夜班甲", At("07:00", 1)), (1, "sms", "夜班乙", At("07:10", 1))], plan.Select(s => (s.Step, s.Channel, s.Person.Name, s.DueMs)));
        // Outside quiet hours a minor alarm goes at once.
        Assert.Equal(At("15:00"), EscalationPlanner.StartMs(AlarmSeverity.Minor, At("15:00"), quiet));
    }

    [Fact]
    public void Plan_OnePersonOnDuty_VoiceCallsGoToThem_NoOneOnDuty_NoPlan()
    {
        var one = new[] { new DutyPerson("独守", "13700000000") };
        var plan = EscalationPlanner.Plan(AlarmSeverity.Critical, 0, one, TimeSpan.FromSeconds(5), voiceCalls: 2);
        Assert.Equal([(0, "sms", 0L), (1, "voice", 5000L), (2, "voice", 10000L)], plan.Select(s => (s.Step, s.Channel, s.DueMs)));
        Assert.Empty(EscalationPlanner.Plan(AlarmSeverity.Critical, 0, [], TimeSpan.FromSeconds(5), voiceCalls: 2));
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(3, 4000)]
    [InlineData(10, 60000)] // capped
    public void RetryDelay_DoublesUpToTheCap_JitterWithinTwentyPercent(int attempt, double plainMs)
    {
        var low = RetryDelay.After(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), 0);
        var high = RetryDelay.After(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), 0.999999);
        Assert.Equal(plainMs * 0.8, low.TotalMilliseconds, 3);
        Assert.InRange(high.TotalMilliseconds, plainMs, Math.Min(60000, plainMs * 1.2));
    }

    [Fact]
    public void Mask_ShowsFirstThreeAndLastFour() => Assert.Equal("138****5678", PhoneNumbers.Mask("13812345678"));
}
