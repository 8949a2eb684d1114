using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Testing;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// Two stations behind simulated 4G DTUs that connect in to the gateway's DTU listener (firmware-sim --dtu),
/// sending a heartbeat every second between Modbus RTU frames; mosquitto and the gateway as real processes.
/// </summary>
public sealed class DtuStackFixture : IAsyncLifetime
{
    private GatewayStack? _stack;

    /// <summary>The gateway's DTU listener port; firmware-sim writes it into the gateway configuration.</summary>
    public int DtuPort { get; } = FreePort.Next();

    public GatewayStack Stack => _stack ?? throw new InvalidOperationException("The DTU stack did not start.");

    public async Task InitializeAsync() =>
        _stack = await GatewayStack.StartAsync("dtu", stations: 2, simulatorArguments: ["--dtu", $"127.0.0.1:{DtuPort}", "--dtu-heartbeat-s", "1"]);

    public async Task DisposeAsync()
    {
        if (_stack is not null)
            await _stack.DisposeAsync();
    }
}

[Collection("EndToEnd")]
public sealed class DtuEndToEndTests : IClassFixture<DtuStackFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly DtuStackFixture _fixture;

    public DtuEndToEndTests(DtuStackFixture fixture) => _fixture = fixture;

    private GatewayStack Stack => _fixture.Stack;

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static long Ts(JsonObject json) => json["ts"]!.GetValue<long>();

    /// <summary>Telemetry of <paramref name="station"/> polled after <paramref name="sinceMs"/> with every device answering.</summary>
    private Task<SeenMessage> WaitForGoodTelemetryAsync(string station, long sinceMs, TimeSpan? timeout = null) =>
        Stack.Collector.WaitForAsync($"irrigation/{station}/telemetry", j => Ts(j) > sinceMs && (string?)j["quality"] == "good", timeout ?? Wait);

    private int GatewayLines(string text) => Stack.Gateway!.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task Telemetry_BothStationsOverDtuWithHeartbeats_QualityStaysGood()
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Stack.ConfigPath))!.AsObject();
        Assert.Equal(_fixture.DtuPort, config["dtuListener"]!["port"]!.GetValue<int>());
        Assert.All(config["stations"]!.AsArray(), s => Assert.Equal("dtu", (string?)s!["endpoint"]!["type"]));
        await WaitForGoodTelemetryAsync("st001", 0);
        await WaitForGoodTelemetryAsync("st002", 0);

        // At least four heartbeats per DTU fall between the frames of this window; each snapshot (every 5 s) reads every register.
        var from = NowMs;
        var discardedBefore = GatewayLines("discarded");
        await Task.Delay(TimeSpan.FromSeconds(4));
        var snapshot1 = await Stack.Collector.WaitForAsync("irrigation/st001/telemetry", j => Ts(j) > from + 4000 && (string?)j["kind"] == "snapshot", Wait);
        var snapshot2 = await Stack.Collector.WaitForAsync("irrigation/st002/telemetry", j => Ts(j) > from + 4000 && (string?)j["kind"] == "snapshot", Wait);

        Assert.Equal("good", (string?)snapshot1.Json["quality"]);
        Assert.Equal("good", (string?)snapshot2.Json["quality"]);
        Assert.True(snapshot1.Json["values"]!["voltage_a"]!["v"]!.GetValue<double>() > 150, "meter values read over the DTU link");
        Assert.True(snapshot2.Json["values"]!.AsObject().ContainsKey("pump1.running"));
        var window = Stack.Collector.Messages.Where(m => m.Topic.EndsWith("/telemetry", StringComparison.Ordinal) && Ts(m.Json) >= from).ToList();
        Assert.All(window, m => Assert.Equal("good", (string?)m.Json["quality"]));
        Assert.Equal(discardedBefore, GatewayLines("discarded"));
    }

    [Fact]
    public async Task StartCommand_OverDtu_PumpRunsAndResultSucceeded()
    {
        await WaitForGoodTelemetryAsync("st002", 0);

        var start = await Stack.CommandAsync("st002", "start", 1);

        Assert.Equal("succeeded", (string?)start["outcome"]);
        Assert.True(await Stack.Simulator.PumpRunningAsync("st002", 1));
        var stop = await Stack.CommandAsync("st002", "stop", 1);
        Assert.Equal("succeeded", (string?)stop["outcome"]);
        Assert.False(await Stack.Simulator.PumpRunningAsync("st002", 1));
    }

    [Fact]
    public async Task DropFault_OneDtu_ThatStationCommsLostOtherOnlineAndBackAfterClear()
    {
        await WaitForGoodTelemetryAsync("st001", 0);
        await WaitForGoodTelemetryAsync("st002", 0);
        var registrations = GatewayLines("DTU st001 registered");

        var droppedAt = NowMs;
        await Stack.Simulator.SetFaultsAsync("st001", new { drop = true });
        long clearedAt;
        try
        {
            var lost = await Stack.Collector.WaitForAsync("irrigation/st001/status", j => (string?)j["state"] == "comms_lost" && Ts(j) > droppedAt, Wait);
            Assert.NotNull((string?)lost.Json["error"]);
            await WaitForGoodTelemetryAsync("st002", Ts(lost.Json));
            Assert.DoesNotContain(Stack.Collector.On("irrigation/st002/status"), m => (string?)m.Json["state"] != "online" && Ts(m.Json) > droppedAt);
        }
        finally
        {
            clearedAt = NowMs;
            await Stack.Simulator.ClearFaultsAsync("st001");
        }

        // The DTU connects again and re-registers; the gateway drops the dead link and polls over the new one.
        var online = await Stack.Collector.WaitForAsync("irrigation/st001/status", j => (string?)j["state"] == "online" && Ts(j) > clearedAt, TimeSpan.FromSeconds(90));
        Assert.Null(online.Json["error"]);
        await WaitForGoodTelemetryAsync("st001", clearedAt);
        Assert.True(GatewayLines("DTU st001 registered") > registrations, "the DTU did not register again");
        Assert.DoesNotContain(Stack.Collector.On("irrigation/st002/status"), m => (string?)m.Json["state"] != "online" && Ts(m.Json) > droppedAt);
    }

    [Fact]
    public async Task UnknownDtuId_ConnectionRefusedAndGatewayKeepsRunning()
    {
        await WaitForGoodTelemetryAsync("st002", 0);

        using (var intruder = new TcpClient())
        {
            await intruder.ConnectAsync(IPAddress.Loopback, _fixture.DtuPort);
            var stream = intruder.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("REG:nobody\r\n"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            int read;
            try
            {
                read = await stream.ReadAsync(new byte[64], timeout.Token);
            }
            catch (IOException)
            {
                read = 0; // reset instead of FIN: closed all the same
            }

            Assert.Equal(0, read);
        }

        await Stack.Gateway!.WaitForLineAsync(l => l.Contains("unknown DTU id 'nobody'", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var after = NowMs;
        await WaitForGoodTelemetryAsync("st001", after);
        await WaitForGoodTelemetryAsync("st002", after);
        Assert.False(Stack.Gateway.HasExited);
    }
}
