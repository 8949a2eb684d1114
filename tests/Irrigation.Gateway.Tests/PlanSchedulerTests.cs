using System.Text;
using Irrigation.Contracts;
using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Publishing;
using Irrigation.Gateway.Schedule;
using Irrigation.Spool;
using Irrigation.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// The gateway's side of plans on a manual clock: which plan sets it takes (signed, for it, not older) and keeps across a
/// restart; when it trusts its clock; and runs it reports not executed, with the reason, through the outbox.
/// The whole path with real processes is in the server's PlanEndToEndTests.
/// </summary>
public sealed class PlanSchedulerTests : IDisposable
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset T0 = new(2026, 6, 10, 21, 59, 50, PlanCalendar.BeijingOffset); // a Wednesday
    private readonly ScratchDirectory _directory = new("plans");
    private readonly ManualClock _clock = new(T0);

    private GatewayOptions Options() => new()
    {
        Id = "gw-01",
        DataDirectory = _directory.Path,
        Commands = new CommandSettings { Keys = [new CommandKeySettings { Id = "k1", Secret = Convert.ToBase64String(Key) }] },
        Stations = [new StationSettings { Id = "st001" }, new StationSettings { Id = "st002" }],
    };

    private sealed record Gateway(Outbox Outbox, ScheduleLedger Ledger, ClockTrust Clock, PlanStore Plans, ScheduledRuns Runs, PlanScheduler Scheduler) : IDisposable
    {
        public void Dispose() => Outbox.Dispose();

        /// <summary>Every message queued for the broker, as (topic, payload).</summary>
        public List<(string Topic, string Payload)> Published()
        {
            var list = Outbox.ReadBatch(1000).Select(m => (m.Topic, Encoding.UTF8.GetString(m.Payload.Span))).ToList();
            Outbox.Rewind();
            return list;
        }
    }

    private Gateway Open()
    {
        var options = Options();
        var outbox = new Outbox(DurableQueue.Open(new DurableQueueOptions { Directory = _directory.File("outbox"), SegmentBytes = 64 * 1024, MaxBytes = 1024 * 1024 }));
        var ledger = new ScheduleLedger(_directory.File("schedule.json"), NullLogger.Instance);
        var clock = new ClockTrust(options.Schedule, _clock);
        var plans = new PlanStore(options, outbox, clock, ledger, _clock, NullLogger<PlanStore>.Instance);
        var runs = new ScheduledRuns(options, ledger, outbox, _clock, NullLogger<ScheduledRuns>.Instance);
        var scheduler = new PlanScheduler(options, plans, runs, clock, new StationQueues(), _clock, NullLogger<PlanScheduler>.Instance);
        return new Gateway(outbox, ledger, clock, plans, runs, scheduler);
    }

    /// <summary>At 22:00 Beijing every day: st001 pump 1 for ten minutes.</summary>
    private static IrrigationPlan Plan(long revision = 1, bool overrideStop = false) => new(
        "p1", "夜间灌溉", PlanMode.Together, new DateOnly(2026, 6, 1), new DateOnly(2026, 6, 30), [1, 2, 3, 4, 5, 6, 7], new TimeOnly(22, 0), 0,
        [new PlanStep("st001", 1, 600)])
    {
        Revision = revision,
        OverrideOperatorStop = overrideStop,
    };

    private byte[] Signed(long version, byte[]? key = null, string gateway = "gw-01", IrrigationPlan? plan = null) =>
        PlanSetPayload.Write(PlanSetPayload.Sign(new PlanSetMessage(gateway, version, _clock.Now.ToUnixTimeMilliseconds() - 1000, [plan ?? Plan()]), "k1", key ?? Key));

    private static List<PlanAppliedMessage> Answers(Gateway gateway) =>
        gateway.Published().Where(m => m.Topic == "irrigation/gateways/gw-01/plan/applied")
            .Select(m => PlanSetPayload.TryRead(Encoding.UTF8.GetBytes(m.Payload), out PlanAppliedMessage? a, out _) ? a! : throw new InvalidOperationException(m.Payload)).ToList();

    private static List<CommandResultMessage> Results(Gateway gateway) =>
        gateway.Published().Where(m => m.Topic.EndsWith("/cmd/result", StringComparison.Ordinal))
            .Select(m => CommandResultPayload.TryRead(Encoding.UTF8.GetBytes(m.Payload), out var r, out _) ? r! : throw new InvalidOperationException(m.Payload)).ToList();

    [Fact]
    public void PlanSet_SignedNewerApplied_ForgedOldAndForeignRefused_TheValidOneKeptAcrossARestart()
    {
        using (var gateway = Open())
        {
            gateway.Plans.Offer(Signed(5));
            gateway.Plans.Offer(Signed(9, key: new byte[32])); // forged: another key under the gateway's key id
            gateway.Plans.Offer(Signed(3)); // an old genuine set replayed
            gateway.Plans.Offer(Signed(9, gateway: "gw-02"));
            gateway.Plans.Offer("{not json"u8);

            Assert.Equal(5, gateway.Plans.Current!.Version);
            var answers = Answers(gateway);
            Assert.Equal(
                [(PlanApplyStatus.Applied, null, 5L), (PlanApplyStatus.Refused, PlanRefusals.BadSignature, 5L), (PlanApplyStatus.Refused, PlanRefusals.OldVersion, 5L), (PlanApplyStatus.Refused, PlanRefusals.WrongGateway, 5L), (PlanApplyStatus.Refused, PlanRefusals.Invalid, 5L)],
                answers.Select(a => (a.Status, a.Reason, a.RunningVersion)));
            Assert.True(gateway.Outbox.ReadBatch(100).Where(m => m.Topic.EndsWith("/plan/applied", StringComparison.Ordinal)).All(m => m.Retain));
            Assert.Equal(4, gateway.Plans.Refused);
        }

        using var restarted = Open();
        Assert.Equal(5, restarted.Plans.Current!.Version);
        Assert.Equal("夜间灌溉", restarted.Plans.Current.Plans[0].Name);
    }

    [Fact]
    public void Clock_TrustedUntilItDiffersFromTheServers_IsBehindThePlansSigning_OrGoesBack()
    {
        using var gateway = Open();
        var trust = gateway.Clock;
        long Now() => _clock.Now.ToUnixTimeMilliseconds();
        Assert.Null(trust.Problem(Now(), 0, 0)); // no reading yet, nothing against it: offline operation is the point

        trust.ServerTime(Now() - 30_000); // 30 s ahead: within the 2 min
        Assert.Null(trust.Problem(Now(), 0, 0));
        trust.ServerTime(Now() - 300_000);
        Assert.Contains("300 s ahead of the server's", trust.Problem(Now(), 0, 0), StringComparison.Ordinal);

        // The reading is carried forward on the monotonic clock while the link is down: a wall clock set right meanwhile is trusted again.
        trust.ServerTime(Now());
        _clock.Advance(TimeSpan.FromHours(3));
        Assert.Null(trust.Problem(Now(), 0, 0));
        _clock.Set(_clock.Now.AddMinutes(-10));
        Assert.Contains("behind the server's", trust.Problem(Now(), 0, 0), StringComparison.Ordinal);

        var fresh = new ClockTrust(Options().Schedule, _clock);
        Assert.Contains("before the time the running plan was signed", fresh.Problem(Now(), 0, Now() + 3_600_000), StringComparison.Ordinal);
        Assert.Contains("went back", fresh.Problem(Now(), Now() + 600_000, 0), StringComparison.Ordinal);
    }

    [Fact]
    public void ClockNotTrusted_TheRunIsReportedNotExecutedWithTheReason_NeverStarted()
    {
        using var gateway = Open();
        gateway.Plans.Offer(Signed(5));
        gateway.Clock.ServerTime(_clock.Now.ToUnixTimeMilliseconds() + 600_000); // the gateway is 10 min behind

        _clock.Advance(TimeSpan.FromSeconds(11)); // 22:00:01
        gateway.Scheduler.Tick();

        var result = Assert.Single(Results(gateway));
        Assert.Equal((CommandOutcomes.Missed, ScheduleReasons.ClockUntrusted, CommandOrigins.Schedule), (result.Outcome, result.Reason, result.Origin));
        Assert.Equal("p1/20260610/1/start", result.Id);
        Assert.Equal(new ScheduleInfo("p1", 5, "p1/20260610/1", new DateTimeOffset(2026, 6, 10, 22, 0, 0, PlanCalendar.BeijingOffset).ToUnixTimeMilliseconds()), result.Schedule);
        Assert.Contains("behind the server's", result.Detail, StringComparison.Ordinal);
        Assert.False(Answers(gateway).Last().ClockTrusted); // the server is told with the version

        gateway.Scheduler.Tick(); // once only
        Assert.Single(Results(gateway));

        // Told once per kind of problem, not every second (the text carries times): an offline outbox is not flooded.
        var untrusted = Answers(gateway).Count(a => !a.ClockTrusted);
        for (var i = 0; i < 30; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            gateway.Scheduler.Tick();
        }

        Assert.Equal(untrusted, Answers(gateway).Count(a => !a.ClockTrusted));
    }

    private static PumpCommand Command(ScheduledRun run, PumpAction action, string? id = null) =>
        new(id ?? $"{run.RunId}/{(action == PumpAction.Start ? "start" : "stop")}", run.Station, action, run.Pump, "plan:p1", DateTimeOffset.MaxValue, T0) { Schedule = run.Info };

    private static CommandResultMessage Result(PumpCommand command, string outcome, string? reason) =>
        new(command.Id, command.Station, command.Pump, command.Action == PumpAction.Start ? "start" : "stop", outcome, reason, null, command.RequestedBy, 1, "gw-01") { Origin = CommandOrigins.Schedule, Schedule = command.Schedule };

    [Fact]
    public void StartFailsAfterItsWrite_ThePlanKeepsThePumpAndStopsItNow_AFailedStopIsTriedAgain_UntilItWorks()
    {
        using var gateway = Open();
        var run = new ScheduledRun("p1/20260610/1", "p1", 5, "st001", 1, T0.ToUnixTimeMilliseconds(), T0.AddMinutes(10).ToUnixTimeMilliseconds());
        gateway.Ledger.TryAdd(run, ScheduledRunState.Starting);
        var start = Command(run, PumpAction.Start);

        gateway.Runs.Writing(start);
        gateway.Runs.Finished(start, Result(start, CommandOutcomes.Failed, CommandReasons.NoFeedback));

        var owned = gateway.Ledger.Find(run.RunId)!;
        Assert.Equal((ScheduledRunState.Running, true, "p1/20260610/1/stop"), (owned.State, owned.StopDue, owned.StopCommandId));

        var stop = Command(run, PumpAction.Stop);
        gateway.Runs.Finished(stop, Result(stop, CommandOutcomes.Rejected, CommandReasons.CommsLost));
        var retry = gateway.Ledger.Find(run.RunId)!;
        Assert.Equal((ScheduledRunState.Running, 1, "p1/20260610/1/stop-2"), (retry.State, retry.StopAttempts, retry.StopCommandId));
        Assert.Equal(_clock.Now.ToUnixTimeMilliseconds() + 30_000, retry.NextStopMs);

        var second = Command(run, PumpAction.Stop, retry.StopCommandId);
        gateway.Runs.Finished(second, Result(second, CommandOutcomes.Succeeded, null));
        Assert.Equal(ScheduledRunState.Ended, gateway.Ledger.Find(run.RunId)!.State);
    }

    [Fact]
    public void RestartAfterTheStartWasWritten_PumpFoundRunning_IsThePlans_NotAManualOne()
    {
        using var gateway = Open();
        var run = new ScheduledRun("p1/20260610/1", "p1", 5, "st001", 1, T0.ToUnixTimeMilliseconds(), T0.AddMinutes(10).ToUnixTimeMilliseconds());
        gateway.Ledger.TryAdd(run, ScheduledRunState.Starting);
        var start = Command(run, PumpAction.Start);
        gateway.Runs.Writing(start); // then the power went

        var result = gateway.Runs.Finished(start, Result(start, CommandOutcomes.Succeeded, CommandReasons.AlreadyInState));

        Assert.Equal(CommandOutcomes.Succeeded, result.Outcome);
        Assert.Equal(ScheduledRunState.Running, gateway.Ledger.Find(run.RunId)!.State); // stopped by the plan at its end
    }

    [Fact]
    public void ManualStart_IsNotAScheduledRun_APlanFindingThePumpStartedByHandNeitherTakesItOverNorStopsIt()
    {
        using var gateway = Open();

        // An operator's start: passed through unchanged, no run in the ledger, nothing published as the plan's.
        var manual = new PumpCommand("op-1", "st001", PumpAction.Start, 1, "zhangsan", DateTimeOffset.MaxValue, T0);
        var manualResult = new CommandResultMessage("op-1", "st001", 1, "start", CommandOutcomes.Succeeded, null, "started", "zhangsan", 1, "gw-01");
        Assert.Same(manualResult, gateway.Runs.Finished(manual, manualResult));
        Assert.Empty(gateway.Ledger.Active());
        Assert.Empty(Results(gateway));

        // Then the plan's start finds the pump already running without having written it: not executed (already_running).
        var run = new ScheduledRun("p1/20260610/1", "p1", 5, "st001", 1, T0.ToUnixTimeMilliseconds(), T0.AddMinutes(10).ToUnixTimeMilliseconds());
        gateway.Ledger.TryAdd(run, ScheduledRunState.Starting);
        var start = Command(run, PumpAction.Start);
        var result = gateway.Runs.Finished(start, Result(start, CommandOutcomes.Succeeded, CommandReasons.AlreadyInState));

        Assert.Equal((CommandOutcomes.Missed, ScheduleReasons.AlreadyRunning, CommandOrigins.Schedule), (result.Outcome, result.Reason, result.Origin));
        Assert.Contains("started by hand", result.Detail, StringComparison.Ordinal);
        var ended = gateway.Ledger.Find(run.RunId)!;
        Assert.Equal((ScheduledRunState.Ended, false), (ended.State, ended.StopDue));
        Assert.DoesNotContain(gateway.Ledger.Active(), r => r.RunId == run.RunId); // so the scheduler never queues its stop
    }

    [Fact]
    public void OperatorStopsWhileThePlansStartWaitsInTheQueue_TheStartIsNotMade()
    {
        using var gateway = Open();
        var run = new ScheduledRun("p1/20260610/1", "p1", 5, "st001", 1, T0.ToUnixTimeMilliseconds(), T0.AddMinutes(10).ToUnixTimeMilliseconds());
        gateway.Ledger.TryAdd(run, ScheduledRunState.Starting);
        var start = Command(run, PumpAction.Start);
        Assert.Null(gateway.Runs.StartProblem(start));

        // The operator's stop, queued before the plan's start, finishes first.
        var stop = new PumpCommand("op-1", "st001", PumpAction.Stop, 1, "zhangsan", DateTimeOffset.MaxValue, T0);
        var stopped = gateway.Runs.Finished(stop, new CommandResultMessage("op-1", "st001", 1, "stop", CommandOutcomes.Succeeded, CommandReasons.AlreadyInState, "pump was already stopped", "zhangsan", 1, "gw-01"));

        Assert.Contains("ended the scheduled run p1/20260610/1", stopped.Detail, StringComparison.Ordinal);
        Assert.Equal(ScheduleReasons.OperatorStopped, gateway.Runs.StartProblem(start)?.Reason);
        var ended = Results(gateway).Single(r => r.Id == "p1/20260610/1/ended");
        Assert.Equal(ScheduleReasons.ManualStop, ended.Reason);
    }

    [Fact]
    public void OperatorStoppedThePump_PlanHolds_UnlessItOverrides_AndARestartNeverReportsARunTwice()
    {
        using (var gateway = Open())
        {
            gateway.Plans.Offer(Signed(5));
            gateway.Runs.Ledger.OperatorStopped("st001", 1, _clock.Now.ToUnixTimeMilliseconds(), "zhangsan");
            _clock.Advance(TimeSpan.FromSeconds(11));
            gateway.Scheduler.Tick();
            var held = Assert.Single(Results(gateway));
            Assert.Equal((CommandOutcomes.Missed, ScheduleReasons.OperatorStopped), (held.Outcome, held.Reason));
            Assert.Contains("zhangsan", held.Detail, StringComparison.Ordinal);
        }

        using (var restarted = Open())
        {
            restarted.Scheduler.Tick();
            Assert.Single(Results(restarted)); // the ledger remembers the run
        }

        // Tomorrow, with a plan that overrides the hold (a new revision): the start is attempted — here the station's queue
        // is not running, so it is reported busy, which shows the hold did not stop it.
        _clock.Set(T0.AddDays(1));
        using var next = Open();
        next.Plans.Offer(Signed(6, plan: Plan(revision: 2, overrideStop: true)));
        next.Runs.Ledger.OperatorStopped("st001", 1, _clock.Now.ToUnixTimeMilliseconds(), "zhangsan");
        _clock.Advance(TimeSpan.FromSeconds(11));
        next.Scheduler.Tick();
        var attempted = Results(next).Last();
        Assert.Equal(("p1/20260611/1/start", ScheduleReasons.Busy), (attempted.Id, attempted.Reason));
    }

    [Fact]
    public void GatewayDownThroughTheStart_ReportedAfterwards_ButNotForAPlanRevisionItNeverHeld()
    {
        using (var gateway = Open())
        {
            gateway.Plans.Offer(Signed(5));
            gateway.Scheduler.Tick(); // 21:59:50: holds revision 1 from now
        }

        _clock.Advance(TimeSpan.FromMinutes(20)); // down from 21:59:50 to 22:19:50
        using var back = Open();
        back.Scheduler.Tick();
        var missed = Assert.Single(Results(back));
        Assert.Equal((CommandOutcomes.Missed, ScheduleReasons.GatewayDown), (missed.Outcome, missed.Reason));

        // A revision received after its start time is not reported missed for that day.
        back.Plans.Offer(Signed(6, plan: Plan(revision: 2) with { Start = new TimeOnly(22, 10) }));
        back.Scheduler.Tick();
        Assert.Single(Results(back));
    }

    public void Dispose() => _directory.Dispose();
}
