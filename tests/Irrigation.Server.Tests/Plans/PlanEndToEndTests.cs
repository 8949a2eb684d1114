using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Contracts;
using Irrigation.Testing;
using static Irrigation.Server.Tests.OperatorApiTests;

namespace Irrigation.Server.Tests;

/// <summary>
/// Irrigation by plan against the real stack — mosquitto, influxd, firmware-sim, gateway, server — with plans of a few
/// seconds: the server stores and signs them, the gateway runs them on its own (through its command queue, so with the
/// interlocks and feedback confirmation of a manual command) and reports each run; the app's API shows the outcome.
/// </summary>
[Collection("SystemFlows")]
public sealed class PlanEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);

    /// <summary>A plan body for the API: today's plan starting <paramref name="start"/> (Beijing time), every day around it.</summary>
    internal static object Plan(string name, DateTimeOffset start, string mode, int gapSeconds, params (string Station, int Pump, int Seconds)[] steps)
    {
        var beijing = start.ToOffset(PlanCalendar.BeijingOffset);
        var day = DateOnly.FromDateTime(beijing.DateTime);
        return new
        {
            name,
            mode,
            seasonFrom = day.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            seasonTo = day.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            days = new[] { 1, 2, 3, 4, 5, 6, 7 },
            start = beijing.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            startGapSeconds = gapSeconds,
            steps = steps.Select(s => new { station = s.Station, pump = s.Pump, durationSeconds = s.Seconds }).ToArray(),
        };
    }

    /// <summary>A start a few seconds ahead, on a whole second.</summary>
    internal static DateTimeOffset StartIn(int seconds)
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(seconds);
        return at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond));
    }

    internal static async Task<JsonObject> CreateAsync(HttpClient client, object plan)
    {
        using var response = await client.PostAsJsonAsync(new Uri("api/plans", UriKind.Relative), plan);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    internal static async Task<JsonArray> RunsAsync(HttpClient client, string plan) =>
        JsonNode.Parse(await client.GetStringAsync(new Uri($"api/plans/{plan}/runs", UriKind.Relative)))!.AsArray();

    /// <summary>Waits until the gateway runs the newest plan set (its answer on …/plan/applied reached the server).</summary>
    internal static async Task WaitForAppliedAsync(HttpClient client) =>
        await Poll.UntilAsync(
            async () => JsonNode.Parse(await client.GetStringAsync(new Uri("api/plans/sync", UriKind.Relative)))!.AsArray(),
            sets => sets.Count > 0 && sets.All(s => s!["runningVersion"]!.GetValue<long>() == s["version"]!.GetValue<long>()), Wait, TimeSpan.FromMilliseconds(250));

    [Fact]
    public async Task Rotation_ThreeStationsRunInOrderWithTheGap_InterlockRefusalRaisesTheAlarm_OverlapRefused()
    {
        await using var stack = await SystemStack.StartAsync("plan-rotation", new SystemStackOptions { Stations = 6 });
        foreach (var station in new[] { "st001", "st002", "st003", "st004", "st005", "st006" })
            await stack.WaitForStationOnlineAsync(station, TimeSpan.FromSeconds(30));
        using var op = await stack.SignInAsync("operator");
        using var viewer = await stack.SignInAsync("viewer");

        // Three stations run one after the other; st004 loses its mains before its turn: the gateway's interlock refuses the
        // start, as it would a manual one; st005's selector at the cabinet is on local: refused too (local_mode).
        await stack.Simulator.SetPhysicsAsync("st004", new { mains = false });
        await stack.Simulator.SetPhysicsAsync("st005", new { remote = false });
        // st006's devices stop answering (its line is cut): the start cannot be made either (comms_lost).
        await stack.Simulator.SetFaultsAsync("st006", new { drop = true });
        var start = StartIn(12);
        var plan = await CreateAsync(op, Plan("东片轮灌", start, "rotation", 3, ("st001", 1, 5), ("st002", 1, 5), ("st003", 1, 5), ("st004", 1, 5), ("st005", 1, 5), ("st006", 1, 5)));
        var id = plan["id"]!.GetValue<string>();
        Assert.Equal([0, 8, 16, 24, 32, 40], plan["steps"]!.AsArray().Select(s => s!["offsetSeconds"]!.GetValue<int>()));

        // A viewer reads but may not edit; an overlapping plan for st002's pump 1 is refused with the reason.
        using (var denied = await viewer.PostAsJsonAsync(new Uri("api/plans", UriKind.Relative), Plan("viewer's", StartIn(3600), "together", 0, ("st001", 1, 60))))
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        using (var overlap = await op.PostAsJsonAsync(new Uri("api/plans", UriKind.Relative), Plan("重叠计划", start.AddSeconds(10), "together", 0, ("st002", 1, 30))))
        {
            Assert.Equal(HttpStatusCode.Conflict, overlap.StatusCode);
            var problem = await JsonAsync(overlap);
            Assert.Equal("plan_overlap", problem["code"]!.GetValue<string>());
            Assert.Equal(("st002", 1, "东片轮灌"), (problem["station"]!.GetValue<string>(), problem["pump"]!.GetValue<int>(), problem["otherPlan"]!.GetValue<string>()));
        }

        // So is an edit: a plan for st002's pump 1 an hour later is fine, moved onto the rotation's time it is refused and stays as it was.
        var later = (await CreateAsync(op, Plan("一小时后", start.AddHours(1), "together", 0, ("st002", 1, 30))))["id"]!.GetValue<string>();
        using (var moved = await op.PutAsJsonAsync(new Uri($"api/plans/{later}", UriKind.Relative), Plan("一小时后", start.AddSeconds(10), "together", 0, ("st002", 1, 30))))
        {
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
            var problem = await JsonAsync(moved);
            Assert.Equal(("plan_overlap", "东片轮灌"), (problem["code"]!.GetValue<string>(), problem["otherPlan"]!.GetValue<string>()));
        }

        var kept = JsonNode.Parse(await op.GetStringAsync(new Uri($"api/plans/{later}", UriKind.Relative)))!;
        Assert.Equal((1L, start.AddHours(1).ToOffset(PlanCalendar.BeijingOffset).ToString("HH:mm:ss", CultureInfo.InvariantCulture)), (kept["revision"]!.GetValue<long>(), kept["start"]!.GetValue<string>()));

        await WaitForAppliedAsync(op);
        var runs = await Poll.UntilAsync(() => RunsAsync(op, id),
            r => r.Count == 6 && r.All(x => x!["state"]!.GetValue<string>() is "completed" or "refused" or "missed"), TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500));
        var byStation = runs.ToDictionary(r => r!["station"]!.GetValue<string>(), r => r!.AsObject());
        var planned = start.ToUnixTimeMilliseconds();
        for (var i = 0; i < 3; i++)
        {
            var run = byStation[$"st00{i + 1}"];
            Assert.Equal("completed", run["state"]!.GetValue<string>());
            Assert.Equal(planned + i * 8_000, run["start"]!.GetValue<long>());
            // Started at its time (after the feedback confirmed it), stopped at its end.
            var started = run["startedAt"]!.GetValue<long>();
            var stopped = run["stoppedAt"]!.GetValue<long>();
            Assert.InRange(started - (planned + i * 8_000), 0, 3_500);
            Assert.InRange(stopped - (planned + i * 8_000 + 5_000), 0, 3_500);
            Assert.NotNull(run["kwh"]?.GetValue<double>());
            // Each run shows its estimated cost (pump power × its hours in each tariff period) and, stopped, its actual one (metered kWh).
            Assert.NotNull(run["cost"]?.GetValue<double>());
            Assert.True(run["estimatedKwh"]!.GetValue<double>() > 0, run.ToJsonString());
            Assert.InRange(run["tariffHours"]!.AsObject().Sum(h => h.Value!.GetValue<double>()), 0.001, 0.003); // 5 s ≈ 0.0014 h, each period rounded to 0.001 h
        }

        Assert.True(byStation["st002"]["startedAt"]!.GetValue<long>() > byStation["st001"]["stoppedAt"]!.GetValue<long>(), "the rotation runs one station after the other");
        Assert.True(byStation["st003"]["startedAt"]!.GetValue<long>() > byStation["st002"]["stoppedAt"]!.GetValue<long>(), "the rotation runs one station after the other");
        var refused = byStation["st004"];
        Assert.Equal(("refused", CommandReasons.NoMains), (refused["state"]!.GetValue<string>(), refused["startReason"]!.GetValue<string>()));
        Assert.False(await stack.Simulator.PumpRunningAsync("st004", 1));
        var local = byStation["st005"];
        Assert.Equal(("refused", CommandReasons.LocalMode), (local["state"]!.GetValue<string>(), local["startReason"]!.GetValue<string>()));
        Assert.False(await stack.Simulator.PumpRunningAsync("st005", 1));
        var offline = byStation["st006"];
        Assert.Equal(("refused", CommandReasons.CommsLost), (offline["state"]!.GetValue<string>(), offline["startReason"]!.GetValue<string>()));
        Assert.False(await stack.Simulator.PumpRunningAsync("st006", 1));

        // The refusal raises 计划运行未执行 with the reason, for the crew to acknowledge.
        var alarm = await Poll.UntilAsync(
            async () => JsonNode.Parse(await op.GetStringAsync(new Uri("api/alarms?state=open&station=st004", UriKind.Relative)))!.AsArray()
                .FirstOrDefault(a => a!["key"]!.GetValue<string>() == "plan_run_missed"),
            a => a is not null, Wait, TimeSpan.FromMilliseconds(500));
        Assert.Contains("东片轮灌", alarm!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("市电停电", alarm["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var localAlarm = await Poll.UntilAsync(
            async () => JsonNode.Parse(await op.GetStringAsync(new Uri("api/alarms?state=open&station=st005", UriKind.Relative)))!.AsArray()
                .FirstOrDefault(a => a!["key"]!.GetValue<string>() == "plan_run_missed"),
            a => a is not null, Wait, TimeSpan.FromMilliseconds(500));
        Assert.Contains("现场为就地模式", localAlarm!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var offlineAlarm = await Poll.UntilAsync(
            async () => JsonNode.Parse(await op.GetStringAsync(new Uri("api/alarms?state=open&station=st006", UriKind.Relative)))!.AsArray()
                .FirstOrDefault(a => a!["key"]!.GetValue<string>() == "plan_run_missed"),
            a => a is not null, Wait, TimeSpan.FromMilliseconds(500));
        Assert.Contains("与现场设备通信中断", offlineAlarm!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // Each run's result is audited as the plan's, and the plan's creation as the operator's.
        using var admin = await stack.SignInAsync("admin");
        // An admin creates and deletes plans as an operator does.
        var adminPlan = (await CreateAsync(admin, Plan("管理员计划", start.AddHours(2), "together", 0, ("st001", 2, 60))))["id"]!.GetValue<string>();
        using (var deleted = await admin.DeleteAsync(new Uri($"api/plans/{adminPlan}", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var audit = JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?limit=200", UriKind.Relative)))!.AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "plan.create" && e["actor"]!.GetValue<string>() == "admin" && e["outcome"]!.GetValue<string>() == "succeeded");
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "plan.create" && e["actor"]!.GetValue<string>() == "operator"
            && e["detail"]!.GetValue<string>().Contains($"{id} rev 1 '东片轮灌': rotation", StringComparison.Ordinal)
            && e["detail"]!.GetValue<string>().Contains("gap 3 s, st001 pump 1 5 s; st002 pump 1 5 s; st003 pump 1 5 s; st004 pump 1 5 s; st005 pump 1 5 s; st006 pump 1 5 s", StringComparison.Ordinal));
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "plan.create" && e["outcome"]!.GetValue<string>() == "plan_overlap");
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "plan.update" && e["outcome"]!.GetValue<string>() == "plan_overlap");
        Assert.Equal(9, audit.Count(e => e!["action"]!.GetValue<string>() == "plan.run" && e["actor"]!.GetValue<string>() == "plan:" + id));

        // The day's reports count the runs: executed at st001, st002 and st003, not executed (refused) at st004, st005 and st006.
        var day = Irrigation.Contracts.BeijingTime.DateOf(planned).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (station, executed, missed) in new[] { ("st001", 1, 0), ("st002", 1, 0), ("st003", 1, 0), ("st004", 0, 1), ("st005", 0, 1), ("st006", 0, 1) })
        {
            var total = JsonNode.Parse(await op.GetStringAsync(new Uri($"api/reports/stations/{station}?period={day}", UriKind.Relative)))!["total"]!;
            Assert.Equal((executed, missed), (total["runsExecuted"]!.GetValue<int>(), total["runsMissed"]!.GetValue<int>()));
        }
    }

    [Fact]
    public async Task BrokerDown_ThePlanRunsAtTheStationAnyway_ItsResultsArriveAfterwards()
    {
        await using var stack = await SystemStack.StartAsync("plan-outage", new SystemStackOptions { Stations = 1 });
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        using var op = await stack.SignInAsync("operator");
        // The broker must be down before the start: applying the set and reading it back retained take a few seconds, more on a loaded machine.
        var start = StartIn(20);
        var id = (await CreateAsync(op, Plan("断网运行", start, "together", 0, ("st001", 1, 6))))["id"]!.GetValue<string>();
        await WaitForAppliedAsync(op);

        // The plan set is retained on the broker: a client subscribing only now (as a gateway that was away) gets the signed set at once.
        var retained = await ManagedProcess.RunAsync(RequiredTool.Find("mosquitto_sub", "mosquitto-clients"),
            ["-h", "127.0.0.1", "-p", stack.Broker.Port.ToString(CultureInfo.InvariantCulture), "-t", Topics.PlanSet("irrigation", stack.GatewayId), "--retained-only", "-C", "1", "-W", "10"], TimeSpan.FromSeconds(20));
        await using (retained)
        {
            Assert.True(retained.ExitCode == 0, retained.Output);
            Assert.True(PlanSetPayload.TryRead(System.Text.Encoding.UTF8.GetBytes(retained.StandardOutput.Trim()), out PlanSetMessage? set, out var error), error);
            Assert.Equal((stack.GatewayId, SystemStack.CommandKeyId), (set!.Gateway, set.KeyId));
            Assert.NotNull(set.Signature);
            Assert.Contains(set.Plans, p => p.Id == id);
        }

        // The link to the broker goes down before the start and comes back after the end.
        await stack.Broker.StopAsync();
        await Poll.UntilAsync(() => stack.Simulator.PumpRunningAsync("st001", 1), running => running, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
        await Poll.UntilAsync(() => stack.Simulator.PumpRunningAsync("st001", 1), running => !running, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
        Assert.Empty(await RunsAsync(op, id)); // nothing reached the server yet
        await Task.Delay(TimeSpan.FromSeconds(5)); // the gateway confirms the stop by its feedback, within its 3 s feedback timeout of the pump stopping
        var brokerBack = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await stack.Broker.RestartAsync();

        var run = (await Poll.UntilAsync(() => RunsAsync(op, id), r => r.Count == 1 && r[0]!["state"]!.GetValue<string>() == "completed", Wait, TimeSpan.FromMilliseconds(500)))[0]!;
        Assert.InRange(run["startedAt"]!.GetValue<long>() - start.ToUnixTimeMilliseconds(), 0, 3_500);
        Assert.True(run["stoppedAt"]!.GetValue<long>() < brokerBack, "stopped while the broker was down");
    }

    [Fact]
    public async Task GatewayClockNotTrusted_ThePlanDoesNotStartThePump_SaysWhy_AndTheAlarmIsRaised()
    {
        // The server tells the time once at start-up and then only every 10 minutes, so the reading this test publishes
        // (as the server's, 10 minutes ahead of the gateway's clock) is the last word the gateway has.
        var options = new SystemStackOptions { Stations = 1 };
        options.ServerEnvironment["Irrigation__Plans__TimeInterval"] = "00:10:00";
        await using var stack = await SystemStack.StartAsync("plan-clock", options);
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        using var op = await stack.SignInAsync("operator");
        var id = (await CreateAsync(op, Plan("时钟不可信", StartIn(10), "together", 0, ("st001", 1, 5))))["id"]!.GetValue<string>();
        await WaitForAppliedAsync(op);

        var skewed = System.Text.Encoding.UTF8.GetString(ServerTimePayload.Write(DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds()));
        var publish = await ManagedProcess.RunAsync(RequiredTool.Find("mosquitto_pub", "mosquitto-clients"),
            ["-h", "127.0.0.1", "-p", stack.Broker.Port.ToString(CultureInfo.InvariantCulture), "-q", "0", "-t", Topics.ServerTime("irrigation"), "-m", skewed], TimeSpan.FromSeconds(10));
        await using (publish)
            Assert.True(publish.ExitCode == 0, publish.Output);

        // The gateway says so with the version it runs…
        var sync = await Poll.UntilAsync(
            async () => JsonNode.Parse(await op.GetStringAsync(new Uri("api/plans/sync", UriKind.Relative)))!.AsArray()[0]!,
            s => s["clockTrusted"]!.GetValue<bool>() == false, Wait, TimeSpan.FromMilliseconds(250));
        Assert.Contains("behind the server's", sync["clockProblem"]!.GetValue<string>(), StringComparison.Ordinal);

        // …and the run is not executed, with the reason, raising 计划运行未执行; the pump never runs.
        var run = (await Poll.UntilAsync(() => RunsAsync(op, id), r => r.Count == 1, Wait, TimeSpan.FromMilliseconds(500)))[0]!;
        Assert.Equal(("missed", ScheduleReasons.ClockUntrusted), (run["state"]!.GetValue<string>(), run["startReason"]!.GetValue<string>()));
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));
        var alarm = await Poll.UntilAsync(
            async () => JsonNode.Parse(await op.GetStringAsync(new Uri("api/alarms?state=open&station=st001", UriKind.Relative)))!.AsArray()
                .FirstOrDefault(a => a!["key"]!.GetValue<string>() == "plan_run_missed"),
            a => a is not null, Wait, TimeSpan.FromMilliseconds(500));
        Assert.Contains("网关时钟不可信", alarm!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManualStopEndsTheScheduledRun_OldPlanVersionFlagged_ForgedPlanRefusedAndAudited()
    {
        await using var stack = await SystemStack.StartAsync("plan-manual", new SystemStackOptions { Stations = 1 });
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        using var op = await stack.SignInAsync("operator");
        var id = (await CreateAsync(op, Plan("长时间灌溉", StartIn(8), "together", 0, ("st001", 1, 600))))["id"]!.GetValue<string>();
        await WaitForAppliedAsync(op);
        await Poll.UntilAsync(() => RunsAsync(op, id), r => r.Count == 1 && r[0]!["state"]!.GetValue<string>() == "running", Wait, TimeSpan.FromMilliseconds(500));

        // A pump the plan started is not "running without a command" (非指令运行: 10 s on-delay, evaluated every second).
        await Task.Delay(TimeSpan.FromSeconds(13));
        var open = JsonNode.Parse(await op.GetStringAsync(new Uri("api/alarms?state=open&station=st001", UriKind.Relative)))!.AsArray();
        Assert.DoesNotContain(open, a => a!["key"]!.GetValue<string>() == "pump1.unexpected_running");
        Assert.True(await stack.Simulator.PumpRunningAsync("st001", 1));

        // The operator stops the pump: the scheduled run ends there, and both results say so.
        using (var stop = await CommandAsync(op, "st001", 1, "stop"))
        {
            var command = await WaitForFinalAsync(op, (await JsonAsync(stop))["id"]!.GetValue<string>(), Wait);
            Assert.Equal("succeeded", command["state"]!.GetValue<string>());
            Assert.Contains("ended the scheduled run", command["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var ended = (await Poll.UntilAsync(() => RunsAsync(op, id), r => r[0]!["state"]!.GetValue<string>() == "ended_by_operator", Wait, TimeSpan.FromMilliseconds(500)))[0]!;
        Assert.Equal(ScheduleReasons.ManualStop, ended["stopReason"]!.GetValue<string>());
        Assert.Contains("operator", ended["stopDetail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));

        // Within the hold, a plan does not start the pump the operator stopped; it says why. (The first plan is deleted
        // first: its ten minutes still count as taken, so the new plan would overlap it.)
        using (var delete = await op.DeleteAsync(new Uri($"api/plans/{id}", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        var held = (await CreateAsync(op, Plan("保持期内", StartIn(6), "together", 0, ("st001", 1, 5))))["id"]!.GetValue<string>();
        var missed = (await Poll.UntilAsync(() => RunsAsync(op, held), r => r.Count == 1, Wait, TimeSpan.FromMilliseconds(500)))[0]!;
        Assert.Equal(("missed", ScheduleReasons.OperatorStopped), (missed["state"]!.GetValue<string>(), missed["startReason"]!.GetValue<string>()));
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));

        // A gateway that is down while the plans change runs an older version: flagged, until it is back and catches up.
        await stack.StopGatewayAsync();
        using (var pause = await op.PostAsync(new Uri($"api/plans/{held}/pause", UriKind.Relative), null))
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        var schedule = await Poll.UntilAsync(
            async () => JsonNode.Parse(await op.GetStringAsync(new Uri("api/stations/st001/schedule", UriKind.Relative)))!.AsObject(),
            s => s["sync"]?["behind"]?.GetValue<bool>() == true, Wait, TimeSpan.FromMilliseconds(250));
        Assert.True(schedule["sync"]!["runningVersion"]!.GetValue<long>() < schedule["sync"]!["version"]!.GetValue<long>());
        await stack.StartGatewayAsync();
        await WaitForAppliedAsync(op);

        // Someone with broker access publishes a plan set of their own: refused, audited, alarmed; the gateway keeps its plans.
        var running = JsonNode.Parse(await op.GetStringAsync(new Uri("api/plans/sync", UriKind.Relative)))!.AsArray()[0]!["runningVersion"]!.GetValue<long>();
        var forged = PlanSetPayload.Sign(new PlanSetMessage(stack.GatewayId, running + 100, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), []), SystemStack.CommandKeyId, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var publish = await ManagedProcess.RunAsync(RequiredTool.Find("mosquitto_pub", "mosquitto-clients"),
            ["-h", "127.0.0.1", "-p", stack.Broker.Port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", Topics.PlanSet("irrigation", stack.GatewayId), "-m", System.Text.Encoding.UTF8.GetString(PlanSetPayload.Write(forged))], TimeSpan.FromSeconds(10));
        await using (publish)
            Assert.True(publish.ExitCode == 0, publish.Output);
        using var admin = await stack.SignInAsync("admin");
        // Who paused and deleted which plan is in the audit trail, with what the plan was.
        var changes = JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?limit=200", UriKind.Relative)))!.AsArray();
        Assert.Contains(changes, e => e!["action"]!.GetValue<string>() == "plan.delete" && e["actor"]!.GetValue<string>() == "operator" && e["detail"]!.GetValue<string>() == id);
        Assert.Contains(changes, e => e!["action"]!.GetValue<string>() == "plan.pause" && e["actor"]!.GetValue<string>() == "operator"
            && e["detail"]!.GetValue<string>().StartsWith($"{held} rev 2 '保持期内'", StringComparison.Ordinal) && e["detail"]!.GetValue<string>().EndsWith(", paused", StringComparison.Ordinal));
        var audit = await Poll.UntilAsync(
            async () => JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?action=plan.forged&limit=10", UriKind.Relative)))!.AsArray(),
            a => a.Count >= 1, Wait, TimeSpan.FromMilliseconds(500));
        Assert.Contains("does not match", audit[0]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var sync = JsonNode.Parse(await op.GetStringAsync(new Uri("api/plans/sync", UriKind.Relative)))!.AsArray()[0]!;
        Assert.Equal((running, "refused", PlanRefusals.BadSignature), (sync["runningVersion"]!.GetValue<long>(), sync["status"]!.GetValue<string>(), sync["reason"]!.GetValue<string>()));
        await Poll.UntilAsync(
            async () => JsonNode.Parse(await op.GetStringAsync(new Uri("api/alarms?state=open&station=st001", UriKind.Relative)))!.AsArray(),
            a => a.Any(x => x!["key"]!.GetValue<string>() == "forged_command"), Wait, TimeSpan.FromMilliseconds(500));
    }
}
