using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;
using Irrigation.Testing;
using static Irrigation.Server.Tests.OperatorApiTests;

namespace Irrigation.Server.Tests;

/// <summary>
/// Alarms through the real pipeline: the simulator trips a pump on dry running, the gateway reports the fault bit,
/// the server raises the alarm, robots receive WeCom and DingTalk messages, a maintenance user acknowledges it and
/// it clears once the fault is reset; comms lost from a dropped simulator; failed-to-start from a frozen one.
/// </summary>
[Collection("SystemFlows")]
public sealed class AlarmEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static async Task<JsonArray> AlarmsAsync(HttpClient client, string query = "") =>
        JsonNode.Parse(await client.GetStringAsync(new Uri("api/alarms?limit=500" + query, UriKind.Relative)))!.AsArray();

    private static Task<JsonNode> WaitForAlarmAsync(HttpClient client, string station, string key, Func<JsonNode, bool> predicate) =>
        Poll.UntilAsync(
            async () => (await AlarmsAsync(client, "&station=" + station)).FirstOrDefault(a => a!["key"]!.GetValue<string>() == key && predicate(a)) ?? new JsonObject(),
            a => a["id"] is not null, Wait, TimeSpan.FromMilliseconds(300));

    [Fact]
    public async Task DryRunTrip_AlarmRaisedAndSentToRobots_AcknowledgedByMaintenance_ClearsAfterReset_CommsLostAndFailedToStart()
    {
        await using var robots = new WebhookReceiver();
        robots.FailFirst["dingtalk"] = 1; // the first delivery is refused by the "robot": retried and recorded
        var options = new SystemStackOptions { Stations = 2 };
        var env = options.ServerEnvironment;
        env["Irrigation__Alarms__Webhooks__0__Url"] = robots.Url("wecom?key=secret-robot-key");
        env["Irrigation__Alarms__Webhooks__0__Format"] = "wecom";
        env["Irrigation__Alarms__Webhooks__1__Url"] = robots.Url("dingtalk?access_token=t");
        env["Irrigation__Alarms__Webhooks__1__Format"] = "dingtalk";
        env["Irrigation__Alarms__Webhooks__1__Secret"] = "SEC-test";
        env["Irrigation__Alarms__Webhooks__1__Events__0"] = "raised";
        env["Irrigation__Alarms__Webhooks__1__Events__1"] = "acknowledged";
        env["Irrigation__Alarms__Webhooks__1__Events__2"] = "cleared";
        env["Irrigation__Alarms__Rules__comms_lost__OnDelay"] = "00:00:01";
        env["Irrigation__Alarms__Rules__dry_running__OnDelay"] = "00:00:00";
        await using var stack = await SystemStack.StartAsync("alarms", options);
        await stack.WaitForStationOnlineAsync("st001", Wait);
        await stack.WaitForStationOnlineAsync("st002", Wait);
        using var operatorClient = await stack.SignInAsync("operator");
        using var maintenance = await stack.SignInAsync("maintenance");
        using var viewer = await stack.SignInAsync("viewer");

        // ---- dry run: start pump 1, drain the sump; the controller trips the pump and latches the dry-run fault ----
        using (var start = await CommandAsync(operatorClient, "st001", 1, "start"))
            Assert.Equal("succeeded", (await WaitForFinalAsync(operatorClient, (await JsonAsync(start))["id"]!.GetValue<string>(), Wait))["state"]!.GetValue<string>());
        await stack.Simulator.SetPhysicsAsync("st001", new { level = 0.3, inflow = 0.0 });
        var fault = await WaitForAlarmAsync(maintenance, "st001", "pump1.pump_fault", a => a["state"]!.GetValue<string>() == "active");
        Assert.Equal("critical", fault["severity"]!.GetValue<string>());
        Assert.Contains("干转跳闸", fault["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // The code and parameters the web app translates (the English UI says "Pump 1 fault: dry-run trip").
        Assert.Equal("pump_fault_kinds", fault["messageCode"]!.GetValue<string>());
        Assert.Equal("1", fault["messageArgs"]!["pump"]!.GetValue<string>());
        Assert.Contains("fault_dry_run", fault["messageArgs"]!["kinds"]!.GetValue<string>(), StringComparison.Ordinal);
        // The station summary's count is recounted after the evaluation round that raised the alarm: poll it.
        var summary = await Poll.UntilAsync(async () => JsonNode.Parse(await viewer.GetStringAsync(new Uri("api/stations/st001", UriKind.Relative)))!,
            s => s["activeAlarms"]!.GetValue<int>() >= 1, Wait, TimeSpan.FromMilliseconds(300));
        Assert.True(summary["activeAlarms"]!.GetValue<int>() >= 1);

        var wecom = await Poll.UntilAsync(() => Task.FromResult(robots.Requests.Where(r => r.Path == "wecom").ToList()),
            r => r.Any(x => x.Body["markdown"]?["content"]?.GetValue<string>().Contains("水泵故障", StringComparison.Ordinal) == true), Wait);
        var wecomBody = wecom.First(x => x.Body["markdown"]!["content"]!.GetValue<string>().Contains("水泵故障", StringComparison.Ordinal)).Body;
        Assert.Equal("markdown", wecomBody["msgtype"]!.GetValue<string>());
        Assert.Contains("【告警】水泵故障", wecomBody["markdown"]!["content"]!.GetValue<string>(), StringComparison.Ordinal);
        var ding = await Poll.UntilAsync(() => Task.FromResult(robots.Requests.Where(r => r.Path == "dingtalk" && r.Body["markdown"]?["title"]?.GetValue<string>().Contains("水泵故障", StringComparison.Ordinal) == true).ToList()),
            r => r.Count >= 1, Wait);
        Assert.Equal(0, robots.WithoutLength);
        Assert.All(ding, d => Assert.Matches("access_token=t&timestamp=[0-9]{13}&sign=", d.Query));

        // ---- acknowledgement: only maintenance (or admin), only with a comment ----
        var id = fault["id"]!.GetValue<string>();
        using (var byViewer = await viewer.PostAsJsonAsync($"api/alarms/{id}/ack", new { comment = "看到了" }))
            Assert.Equal(HttpStatusCode.Forbidden, byViewer.StatusCode);
        using (var noComment = await maintenance.PostAsJsonAsync($"api/alarms/{id}/ack", new { comment = " " }))
            Assert.Equal("comment_required", (await JsonAsync(noComment))["code"]!.GetValue<string>());
        using (var ack = await maintenance.PostAsJsonAsync($"api/alarms/{id}/ack", new { comment = "前池补水后复位" }))
        {
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            var acked = await JsonAsync(ack);
            Assert.Equal("acknowledged", acked["state"]!.GetValue<string>());
            Assert.Equal("maintenance", acked["acknowledgedBy"]!.GetValue<string>());
        }

        using (var twice = await maintenance.PostAsJsonAsync($"api/alarms/{id}/ack", new { comment = "again" }))
            Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);

        // ---- reset: refill the sump and reset the fault locally; the alarm clears ----
        await stack.Simulator.SetPhysicsAsync("st001", new { level = 2.5, inflow = 300.0 });
        await stack.Simulator.PumpActionAsync("st001", 1, "local-reset");
        var cleared = await WaitForAlarmAsync(maintenance, "st001", "pump1.pump_fault", a => a["id"]!.GetValue<string>() == id && a["state"]!.GetValue<string>() == "cleared");
        Assert.NotNull(cleared["acknowledgedAt"]);
        Assert.NotNull(cleared["clearedAt"]);
        // Every delivery is recorded; the first DingTalk one (whichever alarm it was for) was refused and retried.
        // Deliveries go out from the durable queue on the dispatcher's next round (and a retry after its back-off),
        // so the acknowledgement's may still be on its way when the alarm clears: wait for it, then assert each.
        var deliveries = await Poll.UntilAsync(async () =>
            {
                var all = new List<JsonNode>();
                foreach (var alarm in await AlarmsAsync(maintenance, "&station=st001"))
                    all.AddRange(JsonNode.Parse(await maintenance.GetStringAsync(new Uri($"api/alarms/{alarm!["id"]}/deliveries", UriKind.Relative)))!.AsArray().Select(d => d!));
                return all;
            },
            all => all.Any(d => d["alarmId"]!.GetValue<string>() == id && d["format"]!.GetValue<string>() == "dingtalk" && d["event"]!.GetValue<string>() == "acknowledged")
                && all.Any(d => d["format"]!.GetValue<string>() == "dingtalk" && d["outcome"]!.GetValue<string>() == "delivered" && d["attempt"]!.GetValue<int>() == 2),
            Wait);
        Assert.Contains(deliveries, d => d["format"]!.GetValue<string>() == "dingtalk" && d["outcome"]!.GetValue<string>() == "failed" && d["attempt"]!.GetValue<int>() == 1 && d["error"]!.GetValue<string>().Contains("310000", StringComparison.Ordinal));
        Assert.Contains(deliveries, d => d["format"]!.GetValue<string>() == "dingtalk" && d["outcome"]!.GetValue<string>() == "delivered" && d["attempt"]!.GetValue<int>() == 2);
        Assert.Contains(deliveries, d => d["alarmId"]!.GetValue<string>() == id && d["format"]!.GetValue<string>() == "wecom" && d["event"]!.GetValue<string>() == "raised" && d["outcome"]!.GetValue<string>() == "delivered");
        Assert.Contains(deliveries, d => d["alarmId"]!.GetValue<string>() == id && d["format"]!.GetValue<string>() == "dingtalk" && d["event"]!.GetValue<string>() == "acknowledged");
        Assert.DoesNotContain(deliveries, d => d["url"]!.GetValue<string>().Contains("secret-robot-key", StringComparison.Ordinal));

        // ---- comms lost: the simulator stops answering st002; the alarm raises, then clears when it answers again ----
        await stack.Simulator.SetFaultsAsync("st002", new { drop = true });
        var comms = await WaitForAlarmAsync(maintenance, "st002", "comms_lost", a => a["state"]!.GetValue<string>() == "active");
        await stack.Simulator.ClearFaultsAsync("st002");
        await WaitForAlarmAsync(maintenance, "st002", "comms_lost", a => a["id"]!.GetValue<string>() == comms["id"]!.GetValue<string>() && a["state"]!.GetValue<string>() == "cleared");
        await stack.WaitForStationOnlineAsync("st002", Wait);

        // ---- failed to start: registers frozen, the start is written but feedback never follows ----
        await stack.Simulator.SetFaultsAsync("st002", new { freeze = true });
        using (var start = await CommandAsync(operatorClient, "st002", 2, "start"))
            Assert.Equal("failed", (await WaitForFinalAsync(operatorClient, (await JsonAsync(start))["id"]!.GetValue<string>(), Wait))["state"]!.GetValue<string>());
        var failed = await WaitForAlarmAsync(maintenance, "st002", "pump2.failed_to_start", a => a["state"]!.GetValue<string>() == "active");
        Assert.Equal("major", failed["severity"]!.GetValue<string>());
        var metrics = await viewer.GetStringAsync(new Uri("metrics", UriKind.Relative));
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(metrics, "irrigation_alarms_open\\{severity=\"major\"\\} [1-9]"), metrics[^Math.Min(metrics.Length, 1500)..]);

        // ---- history, and the events in InfluxDB for Grafana's annotations ----
        var history = await AlarmsAsync(maintenance, "&station=st001&state=cleared");
        Assert.Contains(history, a => a!["id"]!.GetValue<string>() == id);
        var points = await Poll.UntilAsync(() => stack.Influxd.ExecuteAsync("SELECT count(\"id\") FROM \"alarm\" WHERE \"station\" = 'st001' GROUP BY \"event\"", stack.Database),
            p => p.Contains("cleared", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.Contains("raised", points, StringComparison.Ordinal);
        Assert.Contains("cleared", points, StringComparison.Ordinal);
    }
    [Fact]
    public async Task OverCurrent_JudgedAgainstEachMotorsRatedCurrentFromItsController_RaisesUnderOverloadAndClears()
    {
        var options = new SystemStackOptions { Stations = 1 };
        // The pump controller profile makes over-current relative to the rated current the controller reports; the
        // bureau's setting for that profile shortens the on-delay (the Alarms:Profiles layer) — still longer than the
        // start-up inrush (6 × at the instant of starting, under 1.1 × after 1.5 s), which must never raise it.
        options.ServerEnvironment["Irrigation__Alarms__Profiles__irrigation-pump-controller__over_current__OnDelay"] = "00:00:03";
        await using var stack = await SystemStack.StartAsync("overcurrent", options);
        await stack.WaitForStationOnlineAsync("st001", Wait);
        using var operatorClient = await stack.SignInAsync("operator");

        using (var start = await CommandAsync(operatorClient, "st001", 1, "start"))
            Assert.Equal("succeeded", (await WaitForFinalAsync(operatorClient, (await JsonAsync(start))["id"]!.GetValue<string>(), Wait))["state"]!.GetValue<string>());
        var station = await Poll.UntilAsync(
            async () => JsonNode.Parse(await operatorClient.GetStringAsync(new Uri("api/stations/st001", UriKind.Relative)))!,
            s => Value(s, "pump1.rated_current") > 0 && Value(s, "pump1.motor_current") > 0, Wait);
        var rated = Value(station, "pump1.rated_current");
        Assert.Equal("A", station["values"]!.AsArray().First(v => v!["key"]!.GetValue<string>() == "pump1.rated_current")!["unit"]!.GetValue<string>());

        // Through the inrush and then running normally (just under the rating) for longer than the on-delay: no alarm.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(await AlarmsAsync(operatorClient, "&station=st001"), a => a!["key"]!.GetValue<string>() == "pump1.over_current");

        // A clogged impeller: about 1.15 × rated, under the protector's 1.2 × trip, so only the alarm speaks.
        await stack.Simulator.SetPhysicsAsync("st001", new { overloadPump = 1, overloadFactor = 1.18 });
        var over = await WaitForAlarmAsync(operatorClient, "st001", "pump1.over_current", a => a["state"]!.GetValue<string>() == "active");
        Assert.Contains($"为额定 {rated.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} A 的 11", over["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.InRange(over["value"]!.GetValue<double>(), 1.1, 1.2);

        await stack.Simulator.SetPhysicsAsync("st001", new { overloadPump = 1, overloadFactor = 1.0 });
        await WaitForAlarmAsync(operatorClient, "st001", "pump1.over_current", a => a["id"]!.GetValue<string>() == over["id"]!.GetValue<string>() && a["state"]!.GetValue<string>() == "cleared");
        Assert.DoesNotContain(await AlarmsAsync(operatorClient, "&station=st001"), a => a!["key"]!.GetValue<string>() == "pump1.pump_fault");
    }

    private static double Value(JsonNode station, string key) =>
        station["values"]?.AsArray().FirstOrDefault(v => v!["key"]!.GetValue<string>() == key)?["value"]?.GetValue<double>() ?? 0;
}
