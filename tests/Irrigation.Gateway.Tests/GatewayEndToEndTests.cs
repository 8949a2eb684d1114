using System.Text.Json.Nodes;
using Irrigation.Contracts;
using Irrigation.Testing;

namespace Irrigation.Gateway.Tests;

/// <summary>One stack (mosquitto + firmware-sim + gateway, real processes) shared by the command tests.</summary>
public sealed class GatewayStackFixture : IAsyncLifetime
{
    public GatewayStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() => Stack = await GatewayStack.StartAsync("e2e", stations: 6);

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

[CollectionDefinition("EndToEnd", DisableParallelization = true)]
public sealed class EndToEndCollection;

/// <summary>Telemetry and commands through the real gateway, broker and simulator.</summary>
[Collection("EndToEnd")]
public sealed class GatewayEndToEndTests : IClassFixture<GatewayStackFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly GatewayStack _stack;

    public GatewayEndToEndTests(GatewayStackFixture fixture) => _stack = fixture.Stack;

    private static double Value(JsonObject telemetry, string key) => telemetry["values"]![key]!["v"]!.GetValue<double>();

    [Fact]
    public async Task Telemetry_Snapshot_ValuesEqualTheSimulator()
    {
        // A snapshot made while connected: the very first may come from a poll that finished before the gateway's broker
        // connection was up, and is then rightly marked replayed (it waited in the outbox).
        var snapshot = await _stack.Collector.WaitForAsync("irrigation/st001/telemetry",
            j => (string?)j["kind"] == "snapshot" && j["values"]!.AsObject().ContainsKey("voltage_a") && j["replayed"]?.GetValue<bool>() == false, Wait);
        var sim = await _stack.Simulator.StationAsync("st001");

        var meter = sim["meter"]!;
        Assert.Equal("good", (string?)snapshot.Json["quality"]);
        Assert.InRange(Value(snapshot.Json, "voltage_a"), meter["voltageA"]!.GetValue<double>() - 3, meter["voltageA"]!.GetValue<double>() + 3);
        Assert.InRange(Value(snapshot.Json, "forward_energy"), meter["forwardEnergyKWh"]!.GetValue<double>() - 0.5, meter["forwardEnergyKWh"]!.GetValue<double>() + 0.01);
        Assert.InRange(Value(snapshot.Json, "sump_level"), sim["sumpLevelM"]!.GetValue<double>() - 0.1, sim["sumpLevelM"]!.GetValue<double>() + 0.1);
        Assert.Equal("V", (string?)snapshot.Json["values"]!["voltage_a"]!["u"]);
        Assert.Equal("kWh", (string?)snapshot.Json["values"]!["forward_energy"]!["u"]);
        Assert.True(snapshot.Json["seq"]!.GetValue<long>() >= 1);
        Assert.Equal("城东镇", (string?)snapshot.Json["site"]);
        Assert.False(snapshot.Json["replayed"]!.GetValue<bool>());
        var status = await _stack.Collector.WaitForAsync("irrigation/st001/status", j => (string?)j["state"] == "online", Wait);
        Assert.True(status.Retain || status.Json["state"] is not null);
    }

    [Fact]
    public async Task Payloads_PublishedByTheRealGateway_MatchTheDocumentedSchemas()
    {
        await _stack.Collector.WaitForAsync("irrigation/st002/telemetry", j => (string?)j["kind"] == "snapshot", Wait);
        await _stack.Collector.WaitForAsync("irrigation/st002/status", _ => true, Wait);
        var until = DateTime.UtcNow + Wait;
        while (!_stack.Collector.Messages.Any(m => m.Topic.StartsWith("irrigation/gateways/", StringComparison.Ordinal)) && DateTime.UtcNow < until)
            await Task.Delay(100);
        await _stack.CommandAsync("st002", "stop", 2); // a result to check as well

        var checkedKinds = new HashSet<string>();
        var violations = new List<string>();
        foreach (var message in _stack.Collector.Messages.Where(m => !m.Topic.EndsWith("/cmd", StringComparison.Ordinal)))
        {
            Assert.True(Topics.TryParse("irrigation", message.Topic, out var kind, out _), message.Topic);
            var schema = kind switch
            {
                TopicKind.Telemetry => PayloadSchemas.Telemetry,
                TopicKind.StationStatus => PayloadSchemas.StationStatus,
                TopicKind.GatewayStatus => PayloadSchemas.GatewayStatus,
                _ => PayloadSchemas.CommandResult,
            };
            checkedKinds.Add(schema);
            if (PayloadSchemas.Violations(schema, System.Text.Encoding.UTF8.GetBytes(message.Json.ToJsonString())) is { Length: > 0 } problem)
                violations.Add($"{message.Topic}: {problem}");
        }

        Assert.Empty(violations);
        Assert.Equal([PayloadSchemas.CommandResult, PayloadSchemas.GatewayStatus, PayloadSchemas.StationStatus, PayloadSchemas.Telemetry], checkedKinds.Order());
    }

    [Fact]
    public async Task StartCommand_RemoteMode_PumpRunsAndResultSucceeded()
    {
        var result = await _stack.CommandAsync("st001", "start", 1);

        Assert.Equal("succeeded", (string?)result["outcome"]);
        Assert.True(await _stack.Simulator.PumpRunningAsync("st001", 1));
        await _stack.Collector.WaitForAsync("irrigation/st001/telemetry", j => j["values"]?["pump1.running"]?["v"]?.GetValue<double>() == 1, Wait);

        var stop = await _stack.CommandAsync("st001", "stop", 1);
        Assert.Equal("succeeded", (string?)stop["outcome"]);
        Assert.False(await _stack.Simulator.PumpRunningAsync("st001", 1));
    }

    [Fact]
    public async Task Command_AlreadyExpired_ExpiredAndPumpNeverStarts()
    {
        var result = await _stack.CommandAsync("st002", "start", 1, lifetime: TimeSpan.FromSeconds(-1));

        Assert.Equal("expired", (string?)result["outcome"]);
        await Task.Delay(1000);
        Assert.False(await _stack.Simulator.PumpRunningAsync("st002", 1));
    }

    [Fact]
    public async Task StartCommand_LocalMode_RejectedWithReason()
    {
        await _stack.Simulator.SetPhysicsAsync("st002", new { remote = false });
        try
        {
            await Task.Delay(1500); // the gateway reads the selector fresh before acting; this just lets telemetry settle
            var result = await _stack.CommandAsync("st002", "start", 2);

            Assert.Equal("rejected", (string?)result["outcome"]);
            Assert.Equal("local_mode", (string?)result["reason"]);
            Assert.False(await _stack.Simulator.PumpRunningAsync("st002", 2));
        }
        finally
        {
            await _stack.Simulator.SetPhysicsAsync("st002", new { remote = true });
        }
    }

    [Fact]
    public async Task StartCommand_FaultLatchedAfterDryRunTrip_Rejected()
    {
        Assert.Equal("succeeded", (string?)(await _stack.CommandAsync("st003", "start", 1))["outcome"]);
        await _stack.Simulator.SetPhysicsAsync("st003", new { level = 0.3, inflow = 0.0 });
        var deadline = DateTime.UtcNow + Wait;
        while ((await _stack.Simulator.StationAsync("st003"))["pumps"]![0]!["faultLatched"]!.GetValue<bool>() is false)
        {
            Assert.True(DateTime.UtcNow < deadline, "the dry-run trip did not latch");
            await Task.Delay(200);
        }

        await _stack.Simulator.SetPhysicsAsync("st003", new { level = 2.5, inflow = 300.0 });
        var result = await _stack.CommandAsync("st003", "start", 1);

        Assert.Equal("rejected", (string?)result["outcome"]);
        Assert.Equal("fault_latched", (string?)result["reason"]);
        Assert.False(await _stack.Simulator.PumpRunningAsync("st003", 1));
    }

    [Fact]
    public async Task StartCommand_LowSumpLevel_RejectedBeforeWriting()
    {
        await _stack.Simulator.SetPhysicsAsync("st005", new { level = 0.6, inflow = 0.0 });
        await Task.Delay(300);
        var result = await _stack.CommandAsync("st005", "start", 1);

        Assert.Equal("rejected", (string?)result["outcome"]);
        Assert.Equal("low_sump_level", (string?)result["reason"]);
        Assert.False(await _stack.Simulator.PumpRunningAsync("st005", 1));
        await _stack.Simulator.SetPhysicsAsync("st005", new { level = 2.5, inflow = 300.0 });
    }

    [Fact]
    public async Task StartCommand_SimulatorFrozen_FailedNoFeedback()
    {
        await _stack.Simulator.SetFaultsAsync("st004", new { freeze = true });
        try
        {
            var result = await _stack.CommandAsync("st004", "start", 1);

            Assert.Equal("failed", (string?)result["outcome"]);
            Assert.Equal("no_feedback", (string?)result["reason"]);
        }
        finally
        {
            await _stack.Simulator.ClearFaultsAsync("st004");
            await _stack.Simulator.PumpActionAsync("st004", 1, "local-stop");
        }
    }

    [Fact]
    public async Task Command_SameIdTwice_OneActionAndTheFirstResultRepeated()
    {
        var id = Guid.NewGuid().ToString("N");
        var startsBefore = (await _stack.Simulator.StationAsync("st006"))["pumps"]![1]!["starts"]!.GetValue<int>();

        var first = await _stack.CommandAsync("st006", "start", 2, id: id);
        await _stack.Collector.PublishAsync("irrigation/st006/cmd", GatewayStack.CommandJson(id, "start", 2, DateTimeOffset.UtcNow.AddSeconds(30)));
        var deadline = DateTime.UtcNow + Wait;
        while (_stack.Collector.On("irrigation/st006/cmd/result").Count(m => (string?)m.Json["id"] == id) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the repeated command was not answered");
            await Task.Delay(100);
        }

        var results = _stack.Collector.On("irrigation/st006/cmd/result").Where(m => (string?)m.Json["id"] == id).ToList();
        Assert.Equal("succeeded", (string?)first["outcome"]);
        Assert.All(results, r => Assert.Equal(first.ToJsonString(), r.Json.ToJsonString()));
        Assert.Equal(startsBefore + 1, (await _stack.Simulator.StationAsync("st006"))["pumps"]![1]!["starts"]!.GetValue<int>());
    }

    [Fact]
    public async Task Command_MalformedJson_CountedAndAnsweredWhenItHasAnId()
    {
        await _stack.Collector.PublishAsync("irrigation/st006/cmd", "{ this is not json");
        await _stack.Collector.PublishAsync("irrigation/st006/cmd", """{"id":"bad-1","action":"explode","pump":1,"expiresAt":1}""");

        var result = await _stack.Collector.WaitForAsync("irrigation/st006/cmd/result", j => (string?)j["id"] == "bad-1", Wait);
        Assert.Equal("rejected", (string?)result.Json["outcome"]);
        Assert.Equal("invalid_command", (string?)result.Json["reason"]);
        await _stack.Gateway!.WaitForLineAsync(l => l.Contains("Invalid command on irrigation/st006/cmd", StringComparison.Ordinal), Wait);
        Assert.False(_stack.Gateway.HasExited);
    }
}
