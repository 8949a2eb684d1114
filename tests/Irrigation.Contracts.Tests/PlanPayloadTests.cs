using System.Text;
using Irrigation.Contracts;

namespace Irrigation.Contracts.Tests;

/// <summary>Plan sets: exact bytes, round trips, signatures that catch any change, and malformed sets refused with a reason.</summary>
public sealed class PlanPayloadTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    internal static IrrigationPlan Rotation() => new(
        "p1", "东片轮灌", PlanMode.Rotation, new DateOnly(2026, 4, 1), new DateOnly(2026, 10, 31), [1, 3, 5], new TimeOnly(22, 0), 300,
        [new PlanStep("st001", 1, 3600), new PlanStep("st002", 2, 1800)])
    {
        SkipDates = [new DateOnly(2026, 6, 12)],
        Revision = 3,
    };

    [Fact]
    public void Set_ExactBytes_AndRoundTrip()
    {
        var set = new PlanSetMessage("gw-01", 7, 1764806400000, [Rotation()]);

        var bytes = PlanSetPayload.Write(set);

        Assert.Equal(
            """{"kind":"irrigation-plan-set-v1","gateway":"gw-01","version":7,"issuedAt":1764806400000,"plans":[{"id":"p1","name":"东片轮灌","mode":"rotation","seasonFrom":"2026-04-01","seasonTo":"2026-10-31","days":[1,3,5],"start":"22:00:00","startGapSeconds":300,"steps":[{"station":"st001","pump":1,"durationSeconds":3600},{"station":"st002","pump":2,"durationSeconds":1800}],"skipDates":["2026-06-12"],"paused":false,"overrideOperatorStop":false,"revision":3}]}""",
            Encoding.UTF8.GetString(bytes));
        Assert.True(PlanSetPayload.TryRead(bytes, out PlanSetMessage? read, out var error), error);
        Assert.Equal(bytes, PlanSetPayload.Write(read!));
    }

    [Fact]
    public void Signature_VerifiesTheSigned_RefusesAnyChangeAndOtherKeys()
    {
        var keys = new Dictionary<string, byte[]> { ["k1"] = Key };
        var signed = PlanSetPayload.Sign(new PlanSetMessage("gw-01", 7, 1764806400000, [Rotation()]), "k1", Key);
        Assert.True(PlanSetPayload.TryRead(PlanSetPayload.Write(signed), out PlanSetMessage? read, out _));
        Assert.Null(PlanSetPayload.SignatureProblem(read!, keys));

        // Each change an attacker could make to a captured set: another start time, pump, duration, version, gateway.
        var plan = read!.Plans[0];
        PlanSetMessage[] altered =
        [
            read with { Plans = [plan with { Start = new TimeOnly(12, 0) }] },
            read with { Plans = [plan with { Steps = [plan.Steps[0] with { Pump = 2 }, plan.Steps[1]] }] },
            read with { Plans = [plan with { Steps = [plan.Steps[0] with { DurationSeconds = 36000 }, plan.Steps[1]] }] },
            read with { Plans = [plan with { Paused = true }] },
            read with { Version = 8 },
            read with { Gateway = "gw-02" },
        ];
        Assert.All(altered, a => Assert.Equal("the signature does not match the plan set", PlanSetPayload.SignatureProblem(a, keys)));
        Assert.Equal("the plan set is not signed", PlanSetPayload.SignatureProblem(read with { Signature = null }, keys));
        Assert.Contains("which this gateway does not hold", PlanSetPayload.SignatureProblem(read with { KeyId = "k9" }, keys), StringComparison.Ordinal);
        Assert.Equal("the signature does not match the plan set", PlanSetPayload.SignatureProblem(read with { Signature = "!!not base64!!" }, keys));
    }

    [Theory]
    [InlineData("", "invalid JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("""{"kind":"x"}""", "'kind'")]
    [InlineData("""{"kind":"irrigation-plan-set-v1","gateway":"gw","version":0,"issuedAt":1,"plans":[]}""", "'version'")]
    [InlineData("""{"kind":"irrigation-plan-set-v1","gateway":"gw","version":1,"issuedAt":1,"plans":{}}""", "'plans'")]
    [InlineData("""{"kind":"irrigation-plan-set-v1","gateway":"gw","version":1,"issuedAt":1,"plans":[{"id":"p","name":"n","mode":"rotation","seasonFrom":"2026-01-01","seasonTo":"2026-01-02","days":[8],"start":"08:00","startGapSeconds":0,"steps":[{"station":"s","pump":1,"durationSeconds":10}]}]}""", "'days'")]
    [InlineData("""{"kind":"irrigation-plan-set-v1","gateway":"gw","version":1,"issuedAt":1,"plans":[{"id":"p","name":"n","mode":"rotation","seasonFrom":"2026-01-01","seasonTo":"2026-01-02","days":[1],"start":"25:00","startGapSeconds":0,"steps":[]}]}""", "'start'")]
    [InlineData("""{"kind":"irrigation-plan-set-v1","gateway":"gw","version":1,"issuedAt":1,"plans":[{"id":"p","name":"n","mode":"rotation","seasonFrom":"2026-01-01","seasonTo":"2026-01-02","days":[1],"start":"08:00","startGapSeconds":0,"steps":[{"station":"s","pump":99,"durationSeconds":10}]}]}""", "'pump'")]
    [InlineData("""{"kind":"irrigation-plan-set-v1","gateway":"gw","version":1,"issuedAt":1,"plans":[{"id":"p","name":"n","mode":"rotation","seasonFrom":"2026-01-01","seasonTo":"2026-01-02","days":[1],"start":"08:00","startGapSeconds":0,"steps":[{"station":"s","pump":1,"durationSeconds":0}]}]}""", "'durationSeconds'")]
    public void Malformed_RefusedWithTheReason_NeverThrows(string json, string reason)
    {
        Assert.False(PlanSetPayload.TryRead(Encoding.UTF8.GetBytes(json), out PlanSetMessage? _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_EveryPrefixRefused_NeverThrows()
    {
        var bytes = PlanSetPayload.Write(PlanSetPayload.Sign(new PlanSetMessage("gw-01", 7, 1764806400000, [Rotation()]), "k1", Key));
        for (var n = 0; n < bytes.Length; n++)
            Assert.False(PlanSetPayload.TryRead(bytes.AsSpan(0, n), out PlanSetMessage? _, out _));
    }

    [Fact]
    public void Calendar_RotationStepsFollowEachOtherWithTheGap_TogetherStepsAreSpreadByIt()
    {
        var rotation = Rotation();
        Assert.Equal([0, 3600 + 300], PlanCalendar.Offsets(rotation));
        Assert.Equal([0, 300], PlanCalendar.Offsets(rotation with { Mode = PlanMode.Together }));

        // Wednesday 2026-06-10, 22:00 Beijing = 14:00 UTC; the second step starts at 23:05 and its run id names the day.
        var day = new DateOnly(2026, 6, 10);
        var occurrences = PlanCalendar.On(rotation, day).ToList();
        Assert.Equal(DateTimeOffset.Parse("2026-06-10T14:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), occurrences[0].StartMs);
        Assert.Equal(occurrences[0].StartMs + 3_900_000, occurrences[1].StartMs);
        Assert.Equal("p1/20260610/2", occurrences[1].RunId);
        Assert.Empty(PlanCalendar.On(rotation, day.AddDays(1))); // Thursday
        Assert.Empty(PlanCalendar.On(rotation, new DateOnly(2026, 6, 12))); // a skip date (Friday)
        Assert.Empty(PlanCalendar.On(rotation with { Paused = true }, day));
        Assert.Empty(PlanCalendar.On(rotation, new DateOnly(2026, 11, 2))); // after the season (Monday)
    }

    [Fact]
    public void Conflict_SamePumpAtTheSameTime_FoundWithTheFirstTime_OtherPumpsAndTimesAreFine()
    {
        var a = Rotation();
        var b = a with { Id = "p2", Name = "西片", Days = [5], Start = new TimeOnly(22, 30), Steps = [new PlanStep("st001", 1, 600)] };

        var conflict = PlanCalendar.Conflict(b, a);

        Assert.NotNull(conflict);
        Assert.Equal(("st001", 1, "西片", "东片轮灌"), (conflict!.Station, conflict.Pump, conflict.Plan, conflict.OtherPlan));
        Assert.Equal(new DateTimeOffset(2026, 4, 3, 22, 30, 0, PlanCalendar.BeijingOffset), conflict.At); // the season's first Friday
        Assert.Null(PlanCalendar.Conflict(b with { Steps = [new PlanStep("st001", 2, 600)] }, a));
        Assert.Null(PlanCalendar.Conflict(b with { Start = new TimeOnly(23, 0) }, a)); // st001 runs 22:00-23:00
        Assert.Null(PlanCalendar.Conflict(b with { Days = [2] }, a));
        Assert.Null(PlanCalendar.Conflict(b with { SeasonFrom = new DateOnly(2026, 11, 1), SeasonTo = new DateOnly(2026, 11, 30) }, a));
        // A run past midnight meets the next day's plan.
        var late = b with { Days = [6], Start = new TimeOnly(0, 30) };
        Assert.Null(PlanCalendar.Conflict(late, a));
        Assert.NotNull(PlanCalendar.Conflict(late, a with { Steps = [new PlanStep("st001", 1, 3 * 3600)] }));
    }

    [Fact]
    public void Rules_APlanThatMeetsItself_Refused()
    {
        Assert.Contains("at the same time", PlanRules.Problem(Rotation() with { Mode = PlanMode.Together, Steps = [new PlanStep("st001", 1, 600), new PlanStep("st001", 1, 600)] }), StringComparison.Ordinal);
        Assert.Contains("next day", PlanRules.Problem(Rotation() with { Days = [1, 2, 3, 4, 5, 6, 7], Steps = [new PlanStep("st001", 1, 12 * 3600), new PlanStep("st002", 1, 12 * 3600), new PlanStep("st001", 1, 3600)] }), StringComparison.Ordinal);
        Assert.Null(PlanRules.Problem(Rotation()));
    }

    [Fact]
    public void ScheduledResult_CarriesOriginAndRun_OperatorResultUnchanged()
    {
        var scheduled = new CommandResultMessage("p1/20260610/1/start", "st001", 1, "start", CommandOutcomes.Missed, ScheduleReasons.ClockUntrusted, "clock", "plan:p1", 1, "gw-01")
        {
            Origin = CommandOrigins.Schedule,
            Schedule = new ScheduleInfo("p1", 7, "p1/20260610/1", 1781100000000),
        };

        var bytes = CommandResultPayload.Write(scheduled);

        Assert.EndsWith(""","gateway":"gw-01","origin":"schedule","plan":"p1","planVersion":7,"run":"p1/20260610/1","plannedAt":1781100000000}""", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.True(CommandResultPayload.TryRead(bytes, out var read, out var error), error);
        Assert.Equal(scheduled, read);
        Assert.DoesNotContain("origin", Encoding.UTF8.GetString(CommandResultPayload.Write(scheduled with { Origin = CommandOrigins.Operator, Schedule = null, Outcome = CommandOutcomes.Failed })), StringComparison.Ordinal);
        // "missed" is a scheduled run's outcome only; an operator's command never ends so.
        Assert.False(CommandResultPayload.TryRead(CommandResultPayload.Write(scheduled with { Origin = CommandOrigins.Operator, Schedule = null }), out _, out _));
    }

    [Fact]
    public void Applied_RoundTrip_AndServerTime()
    {
        var applied = new PlanAppliedMessage("gw-01", 8, PlanApplyStatus.Refused, PlanRefusals.BadSignature, "the signature does not match the plan set", 7, false, "clock behind", 1764806400000);
        Assert.True(PlanSetPayload.TryRead(PlanSetPayload.Write(applied), out PlanAppliedMessage? read, out var error), error);
        Assert.Equal(applied, read);
        Assert.True(ServerTimePayload.TryRead(ServerTimePayload.Write(1764806400000), out var ms));
        Assert.Equal(1764806400000, ms);
        Assert.False(ServerTimePayload.TryRead("{}"u8, out _));
    }
}
