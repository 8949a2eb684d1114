using System.Text.Json.Nodes;
using Irrigation.Testing;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// Stations whose incomer meter speaks DL/T 645-2007 (firmware-sim --meter-profile dlt645-2007-three-phase): the
/// meter on a serial-server port of its own, the pump controller on Modbus; mosquitto and the gateway as real processes.
/// </summary>
public sealed class Dlt645TcpStackFixture : IAsyncLifetime
{
    private GatewayStack? _stack;

    public GatewayStack Stack => _stack ?? throw new InvalidOperationException("The DL/T 645 stack did not start.");

    public async Task InitializeAsync() =>
        _stack = await GatewayStack.StartAsync("dlt645-tcp", stations: 2, simulatorArguments: ["--meter-profile", "dlt645-2007-three-phase"]);

    public async Task DisposeAsync()
    {
        if (_stack is not null)
            await _stack.DisposeAsync();
    }
}

/// <summary>The same meters behind 4G DTUs of their own ("{station}-meter"), heartbeating every second between frames.</summary>
public sealed class Dlt645DtuStackFixture : IAsyncLifetime
{
    private GatewayStack? _stack;

    public int DtuPort { get; } = FreePort.Next();

    public GatewayStack Stack => _stack ?? throw new InvalidOperationException("The DL/T 645 DTU stack did not start.");

    public async Task InitializeAsync() =>
        _stack = await GatewayStack.StartAsync("dlt645-dtu", stations: 1, simulatorArguments: ["--meter-profile", "dlt645-2007-three-phase", "--dtu", $"127.0.0.1:{DtuPort}", "--dtu-heartbeat-s", "1"]);

    public async Task DisposeAsync()
    {
        if (_stack is not null)
            await _stack.DisposeAsync();
    }
}

internal static class Dlt645Telemetry
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    public static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static long Ts(JsonObject json) => json["ts"]!.GetValue<long>();

    public static double Value(JsonObject telemetry, string key) => telemetry["values"]![key]!["v"]!.GetValue<double>();

    public static Task<SeenMessage> SnapshotAsync(GatewayStack stack, string station, long sinceMs) =>
        stack.Collector.WaitForAsync($"irrigation/{station}/telemetry", j => Ts(j) > sinceMs && (string?)j["kind"] == "snapshot" && (string?)j["quality"] == "good", Wait);

    /// <summary>Every quantity of the shipped DL/T 645 profile arrives, in the units the other meters publish, equal to the physics.</summary>
    public static async Task AssertMeterReadAsync(GatewayStack stack, string station)
    {
        var from = NowMs;
        var snapshot = (await SnapshotAsync(stack, station, from)).Json;
        var physics = (await stack.Simulator.StationAsync(station))["meter"]!.AsObject();
        foreach (var key in new[] { "voltage_a", "voltage_b", "voltage_c", "current_a", "current_b", "current_c", "active_power", "power_factor", "frequency", "combined_energy", "forward_energy" })
            Assert.True(snapshot["values"]!.AsObject().ContainsKey(key), $"{key} missing from {snapshot.ToJsonString()}");
        Assert.Equal("V", (string?)snapshot["values"]!["voltage_a"]!["u"]);
        Assert.Equal("W", (string?)snapshot["values"]!["active_power"]!["u"]);
        Assert.Equal("kWh", (string?)snapshot["values"]!["forward_energy"]!["u"]);

        // The physics moves between the poll and this read: voltages within a volt, the energy register (XXXXXX.XX,
        // truncated like a meter's counter) within what 2 s of running can add.
        Assert.InRange(Value(snapshot, "voltage_a"), physics["voltageA"]!.GetValue<double>() - 3, physics["voltageA"]!.GetValue<double>() + 3);
        Assert.InRange(Value(snapshot, "frequency"), 49.5, 50.5);
        var energy = physics["forwardEnergyKWh"]!.GetValue<double>();
        Assert.InRange(Value(snapshot, "forward_energy"), energy - 1, energy + 0.01);
        Assert.Equal(Value(snapshot, "forward_energy"), Value(snapshot, "combined_energy"), 2);
        Assert.Equal(Math.Round(Value(snapshot, "forward_energy"), 2), Value(snapshot, "forward_energy"), 6);
    }
}

[Collection("EndToEnd")]
public sealed class Dlt645EndToEndTests : IClassFixture<Dlt645TcpStackFixture>
{
    private readonly Dlt645TcpStackFixture _fixture;

    public Dlt645EndToEndTests(Dlt645TcpStackFixture fixture) => _fixture = fixture;

    private GatewayStack Stack => _fixture.Stack;

    [Fact]
    public async Task GatewayConfig_Dlt645Meter_HasItsOwnPortAndTheNameplateAddress()
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Stack.ConfigPath))!.AsObject();
        var station = config["stations"]![1]!.AsObject();
        Assert.Equal("dlt645-2007-three-phase", (string?)station["meter"]!["profile"]);
        Assert.Equal("000000000002", (string?)station["meter"]!["address"]);
        Assert.Equal("tcp", (string?)station["meter"]!["endpoint"]!["type"]);
        Assert.NotEqual(station["endpoint"]!["port"]!.GetValue<int>(), station["meter"]!["endpoint"]!["port"]!.GetValue<int>());
        Assert.Null(station["meter"]!["unitId"]);
    }

    [Fact]
    public async Task Telemetry_Dlt645MetersOverTcp_EveryQuantityEqualsThePhysics()
    {
        await Dlt645Telemetry.AssertMeterReadAsync(Stack, "st001");
        await Dlt645Telemetry.AssertMeterReadAsync(Stack, "st002");
    }

    [Fact]
    public async Task StartCommand_ControllerOnModbus_MeterOnDlt645_PowerRisesInTheMetersTelemetry()
    {
        await Dlt645Telemetry.SnapshotAsync(Stack, "st002", 0);
        var before = Dlt645Telemetry.Value((await Dlt645Telemetry.SnapshotAsync(Stack, "st002", Dlt645Telemetry.NowMs)).Json, "active_power");

        var start = await Stack.CommandAsync("st002", "start", 1);
        try
        {
            Assert.Equal("succeeded", (string?)start["outcome"]);
            var started = Dlt645Telemetry.NowMs;
            var running = await Stack.Collector.WaitForAsync("irrigation/st002/telemetry",
                j => Dlt645Telemetry.Ts(j) > started && j["values"]?["active_power"] is { } p && p["v"]!.GetValue<double>() > before + 3000, Dlt645Telemetry.Wait);
            Assert.Equal("good", (string?)running.Json["quality"]);
        }
        finally
        {
            await Stack.CommandAsync("st002", "stop", 1);
        }
    }

    [Fact]
    public async Task DropFault_MeterAndControllerSilent_CommsLostNamingTheMeter_ThenBack()
    {
        await Dlt645Telemetry.SnapshotAsync(Stack, "st001", 0);
        var droppedAt = Dlt645Telemetry.NowMs;
        await Stack.Simulator.SetFaultsAsync("st001", new { drop = true });
        long lostAt;
        try
        {
            var lost = await Stack.Collector.WaitForAsync("irrigation/st001/status", j => (string?)j["state"] == "comms_lost" && Dlt645Telemetry.Ts(j) > droppedAt, Dlt645Telemetry.Wait);
            Assert.Equal("comms_lost", (string?)lost.Json["meter"]);
            Assert.Contains("DL/T 645", (string?)lost.Json["error"], StringComparison.Ordinal);
            lostAt = Dlt645Telemetry.Ts(lost.Json);
            await Dlt645Telemetry.SnapshotAsync(Stack, "st002", lostAt);
        }
        finally
        {
            await Stack.Simulator.ClearFaultsAsync("st001");
        }

        // A poll begun while the meter was silent may finish after the clear: back online is any good status after the loss.
        var online = await Stack.Collector.WaitForAsync("irrigation/st001/status", j => (string?)j["state"] == "online" && (string?)j["meter"] == "good" && Dlt645Telemetry.Ts(j) > lostAt, TimeSpan.FromSeconds(90));
        Assert.Null(online.Json["error"]);
    }
}

[Collection("EndToEnd")]
public sealed class Dlt645DtuEndToEndTests : IClassFixture<Dlt645DtuStackFixture>
{
    private readonly Dlt645DtuStackFixture _fixture;

    public Dlt645DtuEndToEndTests(Dlt645DtuStackFixture fixture) => _fixture = fixture;

    private GatewayStack Stack => _fixture.Stack;

    [Fact]
    public async Task Telemetry_Dlt645MeterBehindItsOwnDtu_WithHeartbeats_EveryQuantityEqualsThePhysics_NothingDiscarded()
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Stack.ConfigPath))!.AsObject();
        var meter = config["stations"]![0]!["meter"]!;
        Assert.Equal("dtu", (string?)meter["endpoint"]!["type"]);
        Assert.Equal("st001-meter", (string?)meter["endpoint"]!["dtuId"]);
        await Dlt645Telemetry.SnapshotAsync(Stack, "st001", 0);
        Assert.Contains(Stack.Gateway!.Lines, l => l.Contains("DTU st001-meter registered", StringComparison.Ordinal));

        // Heartbeats (1 s) fall between the meter's frames for several seconds: none may be taken for garbage.
        await Task.Delay(TimeSpan.FromSeconds(4));
        await Dlt645Telemetry.AssertMeterReadAsync(Stack, "st001");
        var from = Dlt645Telemetry.NowMs - 4000;
        Assert.All(Stack.Collector.Messages.Where(m => m.Topic.EndsWith("/telemetry", StringComparison.Ordinal) && Dlt645Telemetry.Ts(m.Json) >= from), m => Assert.Equal("good", (string?)m.Json["quality"]));
        Assert.DoesNotContain(Stack.Gateway.Lines, l => l.Contains("discarded", StringComparison.Ordinal));
    }
}
