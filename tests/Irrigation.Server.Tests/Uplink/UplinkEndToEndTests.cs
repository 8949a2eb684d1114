using System.Globalization;
using System.Text.Json.Nodes;
using Irrigation.Sl651.Platform;
using Irrigation.Testing;
using Irrigation.Testing.Waiting;

namespace Irrigation.Server.Tests.Uplink;

/// <summary>
/// The real server reporting two stations of the real stack to the SL 651 reference platform (which decodes with its
/// own reader): timed reports, pump/motor data and pump states arrive and are acknowledged; through a platform outage
/// (connections refused, and the server killed and restarted in the middle of it) the reports produced meanwhile — an
/// alarm's additional report among them — wait on disk and arrive after it, in order, none lost; a pump switch command from the platform is refused for the station not
/// configured for it and carried out, confirmed by the gateway, for the one that is. One stack, several checks.
/// </summary>
[Collection("SystemFlows")]
public sealed class UplinkEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string St1Address = "0033000001";
    private const string St2Address = "0033000002";

    [Fact]
    public async Task Uplink_ReportsThroughAnOutageInOrder_AndPumpControlOnlyWhereAccepted()
    {
        await using var platform = new ReferencePlatform(centreAddress: 1);
        var options = new SystemStackOptions { Stations = 2 };
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["Host"] = "127.0.0.1",
            ["Port"] = platform.Port.ToString(CultureInfo.InvariantCulture),
            ["CentreAddress"] = "1",
            ["Password"] = "1234",
            ["KeepAliveInterval"] = "00:00:01",
            ["ReportInterval"] = "00:00:02",
            ["PumpStateInterval"] = "00:00:00.500",
            ["AckTimeout"] = "00:00:01",
            ["RetryDelay"] = "00:00:00.500",
            ["CommandWait"] = "00:00:15",
            ["Stations:0:Station"] = "st001",
            ["Stations:0:Address"] = St1Address,
            ["Stations:0:AcceptPumpControl"] = "true",
            ["Stations:0:Pumps"] = "2",
            ["Stations:1:Station"] = "st002",
            ["Stations:1:Address"] = St2Address,
            ["Stations:1:Pumps"] = "2",
            ["Stations:1:SendPumpData"] = "false",
        })
        {
            options.ServerEnvironment["Irrigation__Uplink__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        await using var stack = await SystemStack.StartAsync("uplink", options);
        await stack.WaitForStationOnlineAsync("st001", Wait);
        await stack.WaitForStationOnlineAsync("st002", Wait);

        // Reports arrive, read by the platform's own decoder: 32H with units running and the status word, 44H with the
        // three-phase values the simulator's meter gives, 4CH with the pump states.
        await Poll.UntilAsync(() => Reports(platform, St1Address, 0x44).Any(r => r.Value("VTA") > 100) && Reports(platform, St2Address, 0x32).Count > 0
            && Reports(platform, St1Address, 0x4C).Count > 0, "timed reports, pump data and pump states at the platform", Wait);
        var timed = Reports(platform, St2Address, 0x32)[^1];
        Assert.Equal(0x44, timed.Category);
        Assert.NotNull(timed.Value("NS"));
        Assert.Contains(timed.Elements, e => e.Code == "ZT");
        Assert.Equal("00", Convert.ToHexString(Reports(platform, St1Address, 0x4C)[0].PumpBits!)); // both pumps stopped
        Assert.Equal(0, platform.BadFrames);
        Assert.Empty(Reports(platform, St2Address, 0x44)); // st002 is set not to send 44H unprompted

        // Outage: the platform refuses connections. Meanwhile reports keep being produced and st002 loses its mains,
        // raising an alarm (5 s on-delay), whose additional report (33H) is produced during the outage too.
        platform.BeginOutage();
        var outageFrom = DateTime.UtcNow.AddHours(8);
        await stack.Simulator.SetPhysicsAsync("st002", new { mains = false });
        await Task.Delay(TimeSpan.FromSeconds(7));
        // The server is killed (kill -9) with the backlog on disk and started again, still during the outage.
        var queuedBeforeKill = platform.Reports.Count;
        await stack.KillServerAsync();
        await stack.StartServerAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var outageTo = DateTime.UtcNow.AddHours(8);
        Assert.Equal(queuedBeforeKill, platform.Reports.Count);
        var beforeRecovery = platform.Reports.Count;
        platform.EndOutage();

        await Poll.UntilAsync(() => Reports(platform, St2Address, 0x33).Count > 0
            && Reports(platform, St2Address, 0x32).Any(r => r.SendTime > outageTo.AddSeconds(1)), "the backlog and the first reports after the outage", Wait);
        Assert.True(platform.Reports.Count > beforeRecovery);
        foreach (var address in new[] { St1Address, St2Address })
        {
            // Serials are given as reports are queued: every one from 1 arrived, in order, none missing, none twice.
            var serials = platform.Reports.Where(r => r.Station == address && r.Serial > 0).Select(r => r.Serial!.Value).ToList();
            Assert.Equal(Enumerable.Range(1, serials.Count), serials);
            var during = Reports(platform, address, 0x32).Count(r => r.SendTime >= outageFrom && r.SendTime <= outageTo);
            Assert.True(during >= 2, $"{address}: {during} timed reports from the outage window arrived");
        }

        Assert.Equal(0, platform.BadFrames);

        // Pump control from the platform: st002 does not accept it — refused, answered with its unchanged state, audited.
        var refused = await platform.SendPumpSwitchAsync(St2Address, 0x1234, [0x01], Wait);
        Assert.NotNull(refused);
        Assert.Equal("00", Convert.ToHexString(refused.PumpBits!));
        using var admin = await stack.SignInAsync("admin");
        var audit = JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?action=sl651.pump_control", UriKind.Relative)))!.AsArray();
        Assert.Contains(audit, a => a!["station"]?.GetValue<string>() == "st002" && a["outcome"]?.GetValue<string>() == "refused");

        // A command sent an hour ago (a replay, or a platform clock that far off) is not acted on, even where accepted.
        var stale = await platform.SendPumpSwitchAsync(St1Address, 0x1234, [0x01], Wait, sentAt: DateTime.UtcNow.AddHours(7));
        Assert.NotNull(stale);
        Assert.Equal("00", Convert.ToHexString(stale.PumpBits!));
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));
        audit = JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?action=sl651.pump_control", UriKind.Relative)))!.AsArray();
        Assert.Contains(audit, a => a!["station"]?.GetValue<string>() == "st001" && a["outcome"]?.GetValue<string>() == "stale");

        // st001 accepts it: pump 1 is started through the command path and the gateway confirms; the reply says so.
        var done = await platform.SendPumpSwitchAsync(St1Address, 0x1234, [0x01], Wait);
        Assert.NotNull(done);
        Assert.Equal("01", Convert.ToHexString(done.PumpBits!));
        var commands = JsonNode.Parse(await admin.GetStringAsync(new Uri("api/commands?station=st001", UriKind.Relative)))!.AsArray();
        var command = Assert.Single(commands, c => c!["requestedBy"]?.GetValue<string>() == "sl651:platform");
        Assert.Equal(("start", 1, "succeeded"), (command!["action"]!.GetValue<string>(), command["pump"]!.GetValue<int>(), command["state"]!.GetValue<string>()));
        var st2Commands = JsonNode.Parse(await admin.GetStringAsync(new Uri("api/commands?station=st002", UriKind.Relative)))!.AsArray();
        Assert.DoesNotContain(st2Commands, c => c!["requestedBy"]?.GetValue<string>() == "sl651:platform");
        // Asked through the one command path the operators' API uses, audited in the platform's terms.
        var requests = JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?action=command.request&station=st001", UriKind.Relative)))!.AsArray();
        Assert.Contains(requests, a => a!["actor"]?.GetValue<string>() == "sl651:platform" && a["outcome"]?.GetValue<string>() == "accepted"
            && a["pump"]?.GetValue<int>() == 1 && a["detail"]?.GetValue<string>() == $"{command["id"]!.GetValue<string>()} start (SL 651 4CH serial 0)"); // serial 0: centre-initiated (§6.6.2.4)
        var metrics = PrometheusText.Parse(await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        Assert.True(metrics["irrigation_uplink_frames_acknowledged_total"] > 0, "the uplink's metrics are there while it is on");

        // And the station's pump state self-report follows the change.
        await Poll.UntilAsync(() => Reports(platform, St1Address, 0x4C).Any(r => r.Serial > 0 && Convert.ToHexString(r.PumpBits!) == "01"), "st001's 4CH self-report of pump 1 running", Wait);
    }

    private static List<PlatformFrame> Reports(ReferencePlatform platform, string station, int function) =>
        [.. platform.Reports.Where(r => r.Station == station && r.Function == function)];
}
