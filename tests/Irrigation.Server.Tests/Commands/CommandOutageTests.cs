using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;
using Irrigation.Testing;
using static Irrigation.Server.Tests.OperatorApiTests;

namespace Irrigation.Server.Tests;

/// <summary>
/// Commands when the gateway does not answer: a hung gateway (SIGSTOP) lets the command time out, and the pump
/// never starts when the gateway comes back; a stopped gateway makes the station offline and the command refused.
/// </summary>
[Collection("Integration")]
public sealed class CommandOutageTests
{
    [Fact]
    public async Task GatewayHung_CommandTimesOut_PumpNeverStartsAfterItReturns_OfflineGatewayRefused_AllAudited()
    {
        var options = new SystemStackOptions { Stations = 1 };
        options.ServerEnvironment["Irrigation__Commands__Lifetime"] = "00:00:04";
        options.ServerEnvironment["Irrigation__Commands__ResultGrace"] = "00:00:02";
        options.ServerEnvironment["Irrigation__Auth__SignInAttemptsPerMinute"] = "4";
        await using var stack = await SystemStack.StartAsync("command-outage", options);
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        using var client = await stack.SignInAsync("operator");
        using var admin = await stack.SignInAsync("admin");

        stack.SuspendGateway();
        using var start = await CommandAsync(client, "st001", 1, "start");
        var command = await JsonAsync(start);
        using var second = await CommandAsync(client, "st001", 1, "start");
        var secondProblem = await JsonAsync(second);
        var final = await WaitForFinalAsync(client, command["id"]!.GetValue<string>(), TimeSpan.FromSeconds(20));
        stack.ResumeGateway();
        // The gateway gets the command from its persistent session and must answer expired, never act on it.
        var audit = await Poll.UntilAsync(
            async () => JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?station=st001&limit=500", UriKind.Relative)))!.AsArray(),
            a => a.Any(e => e!["action"]!.GetValue<string>() == "command.late_result"), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1));
        await Task.Delay(1000);
        var pumpRan = await stack.Simulator.PumpRunningAsync("st001", 1);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.True(second.StatusCode == (HttpStatusCode)409, $"first {command.ToJsonString()}\nsecond {secondProblem.ToJsonString()}\n{stack.Server!.Tail(80)}");
        Assert.Equal("command_pending", secondProblem["code"]!.GetValue<string>());
        Assert.Equal("timed_out", final["state"]!.GetValue<string>());
        Assert.False(pumpRan);
        var late = audit.First(e => e!["action"]!.GetValue<string>() == "command.late_result")!;
        Assert.Equal("expired", late["outcome"]!.GetValue<string>());
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "command.request" && e["outcome"]!.GetValue<string>() == "command_pending");
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "command.state" && e["outcome"]!.GetValue<string>() == "timed_out");

        // A gateway that has stopped (its "offline" status is retained): refused before anything is sent.
        await stack.StopGatewayAsync();
        await Poll.UntilAsync(async () => JsonNode.Parse(await client.GetStringAsync(new Uri("api/stations/st001", UriKind.Relative)))!["status"]!.GetValue<string>(),
            s => s == "offline", TimeSpan.FromSeconds(20));
        using var offline = await CommandAsync(client, "st001", 1, "start");
        var offlineProblem = await JsonAsync(offline);
        Assert.Equal((HttpStatusCode)409, offline.StatusCode);
        Assert.Equal("station_offline", offlineProblem["code"]!.GetValue<string>());

        // The sign-in rate limit per address (4 a minute here; the viewer, operator and admin sign-ins used 3).
        var statuses = new List<HttpStatusCode>();
        using var anonymous = stack.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            using var attempt = await anonymous.PostAsJsonAsync("api/auth/login", new { username = "viewer", password = "wrong" });
            statuses.Add(attempt.StatusCode);
        }

        Assert.Contains((HttpStatusCode)429, statuses);
    }
}
