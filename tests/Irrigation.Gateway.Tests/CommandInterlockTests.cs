using System.Text.Json.Nodes;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// A stack whose gateway keeps the production rules of a minimum time between starts (10 minutes here) and of starts
/// spaced on a shared supply line (both stations on 城东3号变, 4 s apart here).
/// </summary>
public sealed class InterlockStackFixture : IAsyncLifetime
{
    public const string SupplyLine = "城东3号变";

    public GatewayStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() => Stack = await GatewayStack.StartAsync("interlock", stations: 2, config =>
    {
        config["commands"] = new JsonObject { ["feedbackTimeout"] = "00:00:03", ["minTimeBetweenStarts"] = "00:10:00", ["supplyLineStartGap"] = "00:00:04" };
        foreach (var station in config["stations"]!.AsArray())
            station!["supplyLine"] = SupplyLine;
    });

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

/// <summary>The start interlocks the other end-to-end tests switch off or never reach, through the real gateway, broker and simulator.</summary>
[Collection("EndToEnd")]
public sealed class CommandInterlockTests : IClassFixture<InterlockStackFixture>
{
    private readonly GatewayStack _stack;

    public CommandInterlockTests(InterlockStackFixture fixture) => _stack = fixture.Stack;

    [Fact]
    public async Task StartAgainWithinTheMinimumTimeBetweenStarts_RejectedAndThePumpStaysStopped()
    {
        Assert.Equal("succeeded", (string?)(await _stack.CommandAsync("st001", "start", 1))["outcome"]);
        Assert.Equal("succeeded", (string?)(await _stack.CommandAsync("st001", "stop", 1))["outcome"]);

        var again = await _stack.CommandAsync("st001", "start", 1);

        Assert.Equal("rejected", (string?)again["outcome"]);
        Assert.Equal("min_start_interval", (string?)again["reason"]);
        Assert.Contains("minimum is 600 s", (string?)again["detail"] ?? "", StringComparison.Ordinal);
        await Task.Delay(1000);
        Assert.False(await _stack.Simulator.PumpRunningAsync("st001", 1));
    }

    [Fact]
    public async Task StartsOnOneSupplyLine_TwoStationsAskedAtOnce_TheSecondWaitsItsTurnAndSaysSo()
    {
        var results = await Task.WhenAll(_stack.CommandAsync("st001", "start", 2), _stack.CommandAsync("st002", "start", 2));
        try
        {
            Assert.All(results, r => Assert.Equal("succeeded", (string?)r["outcome"]));
            // Both were confirmed within about a second of their write: the writes were at least the gap (4 s) apart, and the
            // later one says it waited (the first may have waited too, behind a start another test made just before).
            var (first, later) = results[0]["ts"]!.GetValue<long>() <= results[1]["ts"]!.GetValue<long>() ? (results[0], results[1]) : (results[1], results[0]);
            Assert.True(later["ts"]!.GetValue<long>() - first["ts"]!.GetValue<long>() >= 3000, $"{first.ToJsonString()} then {later.ToJsonString()}");
            Assert.Contains($"for its turn on supply line {InterlockStackFixture.SupplyLine}", (string?)later["detail"] ?? "", StringComparison.Ordinal);
        }
        finally
        {
            await Task.WhenAll(_stack.CommandAsync("st001", "stop", 2), _stack.CommandAsync("st002", "stop", 2));
        }
    }

    /// <summary>kill -9 of the gateway: the broker publishes its retained Last Will, so consumers see it offline; it comes back online.</summary>
    [Fact]
    public async Task GatewayKilled9_BrokerPublishesItsRetainedLastWill_OnlineAgainAfterRestart()
    {
        const string topic = "irrigation/gateways/gw-01/status";
        await _stack.Collector.WaitForAsync(topic, j => (string?)j["state"] == "online", TimeSpan.FromSeconds(30));
        long restartedAt;
        try
        {
            _stack.Gateway!.KillHard();
            await _stack.Gateway.WaitForExitAsync(TimeSpan.FromSeconds(10));

            var will = await _stack.Collector.WaitForAsync(topic, j => (string?)j["state"] == "offline", TimeSpan.FromSeconds(15));
            Assert.Equal("gw-01", (string?)will.Json["gateway"]);
            await using var late = await TelemetryCollector.StartAsync(_stack.Broker.Port, "late-" + Guid.NewGuid().ToString("N")[..8]);
            var retained = await late.WaitForAsync(topic, j => (string?)j["state"] == "offline", TimeSpan.FromSeconds(10));
            Assert.True(retained.Retain, "the Will must be retained, so a consumer that connects later sees the gateway offline");
        }
        finally
        {
            restartedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await _stack.StartGatewayAsync();
        }

        await _stack.Collector.WaitForAsync(topic, j => (string?)j["state"] == "online" && j["ts"]!.GetValue<long>() >= restartedAt, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task StartWithoutMains_RejectedNoMains()
    {
        await _stack.Simulator.SetPhysicsAsync("st002", new { mains = false });
        try
        {
            // The gateway judges by what the controller reports: wait until its telemetry shows the mains gone.
            await _stack.Collector.WaitForAsync("irrigation/st002/telemetry", j => j["values"]?["mains_present"]?["v"]?.GetValue<double>() == 0, TimeSpan.FromSeconds(30));
            var result = await _stack.CommandAsync("st002", "start", 1);

            Assert.Equal("rejected", (string?)result["outcome"]);
            Assert.Equal("no_mains", (string?)result["reason"]);
            Assert.False(await _stack.Simulator.PumpRunningAsync("st002", 1));
        }
        finally
        {
            await _stack.Simulator.SetPhysicsAsync("st002", new { mains = true });
        }
    }
}
