using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;
using Irrigation.Testing;

namespace Irrigation.Server.Tests;

/// <summary>A restarted server shows every station's pumps and values at once, from InfluxDB, not after the next snapshot.</summary>
[Collection("Integration")]
public sealed class ServerRestartTests
{
    [Fact]
    public async Task Restart_LatestValuesReadBackFromInflux_PumpsAndMainsShownBeforeTheNextSnapshot()
    {
        var options = new SystemStackOptions
        {
            Stations = 1,
            // Snapshots only every 10 minutes: after the first, only changed quantities arrive.
            ConfigureGateway = config => config["publishing"] = new JsonObject { ["snapshotInterval"] = "00:10:00" },
        };
        await using var stack = await SystemStack.StartAsync("server-restart", options);
        // The gateway's first snapshot went out before the server subscribed: restart the gateway for one it sees.
        await stack.StopGatewayAsync();
        await stack.StartGatewayAsync();
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));

        await stack.StopServerAsync();
        await stack.StartServerAsync();
        using var client = await stack.SignInAsync("viewer");
        var station = await Poll.UntilAsync(
            async () => JsonNode.Parse(await client.GetStringAsync(new Uri("api/stations/st001", UriKind.Relative)))!,
            // The seeding runs in the background once the schema is ready (not part of readiness): seconds, far less than
            // the gateway's 10-minute snapshot this test is about; 30 s leaves a loaded machine room.
            s => s["pumps"]!.AsArray().Count == 2 && s["mainsPresent"] is not null && s["online"]?.GetValue<bool>() == true, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));

        Assert.Equal(2, station["pumps"]!.AsArray().Count);
        Assert.True(station["mainsPresent"]!.GetValue<bool>());
        Assert.Contains(station["values"]!.AsArray(), v => v!["key"]!.GetValue<string>() == "forward_energy");
        Assert.True(station["online"]!.GetValue<bool>());
    }

    /// <summary>
    /// Through the real pipeline: an alarm open when the server restarts stays the same open alarm (never raised twice),
    /// clears when its condition does, and a returning condition raises a new alarm.
    /// </summary>
    [Fact]
    public async Task Restart_OpenAlarmStaysOpenNotRaisedAgain_ClearsWhenMainsReturn_ReRaisedAsANewAlarm()
    {
        var options = new SystemStackOptions { Stations = 1 };
        options.ServerEnvironment["Irrigation__Alarms__Rules__mains_lost__OnDelay"] = "00:00:01";
        await using var stack = await SystemStack.StartAsync("alarm-restart", options);
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        await stack.Simulator.SetPhysicsAsync("st001", new { mains = false });
        using var maintenance = await stack.SignInAsync("maintenance");
        async Task<JsonArray> MainsAlarmsAsync(HttpClient client) =>
            new(JsonNode.Parse(await client.GetStringAsync(new Uri("api/alarms?station=st001", UriKind.Relative)))!.AsArray()
                .Where(a => a!["rule"]!.GetValue<string>() == "mains_lost").Select(a => a!.DeepClone()).ToArray());
        var raised = await Poll.UntilAsync(() => MainsAlarmsAsync(maintenance), a => a.Count == 1, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
        var id = Assert.Single(raised)!["id"]!.GetValue<string>();

        await stack.StopServerAsync();
        await stack.StartServerAsync();
        using var again = await stack.SignInAsync("maintenance");
        await Task.Delay(TimeSpan.FromSeconds(4)); // several evaluation rounds with the condition still true
        var afterRestart = await MainsAlarmsAsync(again);
        Assert.Equal(id, Assert.Single(afterRestart)!["id"]!.GetValue<string>());
        Assert.Equal("active", afterRestart[0]!["state"]!.GetValue<string>());

        await stack.Simulator.SetPhysicsAsync("st001", new { mains = true });
        var cleared = await Poll.UntilAsync(() => MainsAlarmsAsync(again), a => a.Count == 1 && a[0]!["state"]!.GetValue<string>() == "cleared", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
        Assert.Equal(id, cleared[0]!["id"]!.GetValue<string>());

        // The condition returns after clearing: a new alarm with a new id, the cleared one stays history.
        await stack.Simulator.SetPhysicsAsync("st001", new { mains = false });
        var reRaised = await Poll.UntilAsync(() => MainsAlarmsAsync(again), a => a.Count == 2, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
        var active = Assert.Single(reRaised, a => a!["state"]!.GetValue<string>() == "active");
        Assert.NotEqual(id, active!["id"]!.GetValue<string>());
        Assert.Equal("cleared", Assert.Single(reRaised, a => a!["id"]!.GetValue<string>() == id)!["state"]!.GetValue<string>());
    }
}
