using System.Text.Json.Nodes;

namespace Irrigation.Gateway.Tests;

/// <summary>A stack whose gateway keeps the production rule of a minimum time between starts (10 minutes here).</summary>
public sealed class InterlockStackFixture : IAsyncLifetime
{
    public GatewayStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() => Stack = await GatewayStack.StartAsync("interlock", stations: 2,
        config => config["commands"] = new JsonObject { ["feedbackTimeout"] = "00:00:03", ["minTimeBetweenStarts"] = "00:10:00" });

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
    public async Task StartWithoutMains_RejectedNoMains()
    {
        await _stack.Simulator.SetPhysicsAsync("st002", new { mains = false });
        try
        {
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
