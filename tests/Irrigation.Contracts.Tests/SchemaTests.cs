using System.Buffers;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;

namespace Irrigation.Contracts.Tests;

/// <summary>What the contract writes, and what the real load generator publishes, against docs/schemas/*.json.</summary>
public sealed class SchemaTests
{
    [Fact]
    public void ContractWriters_EveryPayload_MatchesItsSchema()
    {
        var telemetry = new ArrayBufferWriter<byte>();
        TelemetryPayload.Write(telemetry, new TelemetryHeader("st001", "城东镇", "gw-01", 1, 1_764_000_000_000, TelemetryKind.Change, true, TelemetryQuality.Good, DeviceLink.Good, null),
            [new("voltage_a", 229.8, "V"), new("pump12.running", 0, "")]);

        Assert.Equal("", PayloadSchemas.Violations(PayloadSchemas.Telemetry, telemetry.WrittenSpan));
        Assert.Equal("", PayloadSchemas.Violations(PayloadSchemas.StationStatus, StatusPayload.Write(new StationStatusMessage("st001", "gw-01", StationLink.Online, 1, 2, DeviceLink.Good, DeviceLink.Good, null))));
        Assert.Equal("", PayloadSchemas.Violations(PayloadSchemas.GatewayStatus, StatusPayload.Write(new GatewayStatusMessage("gw-01", GatewayState.Offline, null))));
        Assert.Equal("", PayloadSchemas.Violations(PayloadSchemas.Command, CommandPayload.Write(new CommandMessage("c-1", PumpAction.Stop, 16, "ops", DateTimeOffset.UnixEpoch.AddDays(1)))));
        Assert.Equal("", PayloadSchemas.Violations(PayloadSchemas.CommandResult, CommandResultPayload.Write(new CommandResultMessage("c-1", "st001", 1, "stop", CommandOutcomes.Failed, CommandReasons.NoFeedback, "x", "ops", 1, "gw-01"))));
        Assert.Equal("", PayloadSchemas.Violations(PayloadSchemas.CommandResult, CommandResultPayload.Write(new CommandResultMessage("p1/20260610/1/start", "st001", 1, "start", CommandOutcomes.Missed, ScheduleReasons.ClockUntrusted, "x", "plan:p1", 1, "gw-01")
        {
            Origin = CommandOrigins.Schedule,
            Schedule = new ScheduleInfo("p1", 7, "p1/20260610/1", 1),
        })));
        var signed = PlanSetPayload.Sign(new PlanSetMessage("gw-01", 7, 1, [PlanPayloadTests.Rotation()]), "k1", new byte[32]);
        Assert.Equal("", PayloadSchemas.Violations(PayloadSchemas.PlanSet, PlanSetPayload.Write(signed)));
        Assert.Equal("", PayloadSchemas.Violations(PayloadSchemas.PlanApplied, PlanSetPayload.Write(new PlanAppliedMessage("gw-01", 7, PlanApplyStatus.Refused, PlanRefusals.OldVersion, "x", 8, false, "clock", 1))));
        // An operator's command never ends "missed".
        Assert.NotEqual("", PayloadSchemas.Violations(PayloadSchemas.CommandResult, """{"id":"c","station":"s","pump":1,"action":"start","outcome":"missed","ts":1,"gateway":"g"}"""u8));
    }

    [Fact]
    public void Schemas_CatchAViolation()
    {
        var problem = PayloadSchemas.Violations(PayloadSchemas.Telemetry, """{"v":1,"station":"st 1","gateway":"g","seq":1,"ts":1,"kind":"snapshot","replayed":false,"quality":"good","devices":{},"values":{}}"""u8);
        Assert.Contains("/station", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadGenerator_RealProcessThroughMosquitto_EveryMessageMatchesTheTelemetrySchema()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var subscriber = new ReconnectingMqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "schema-check", CleanSession = true, InboundCapacity = 5000 });
        await subscriber.ConnectAsync(CancellationToken.None);
        await subscriber.SubscribeAsync([new MqttTopicFilter(Topics.AllTelemetry(Topics.DefaultRoot))], CancellationToken.None);

        var directory = Directory.CreateTempSubdirectory("irrigation-schema-").FullName;
        await using (var load = ManagedProcess.Start("mqtt-load", RepoPaths.Benchmarks,
            ["mqtt-load", "--broker", $"127.0.0.1:{broker.Port}", "--stations", "3", "--rate", "20", "--duration-s", "1", "--values", "15", "--summary", Path.Combine(directory, "summary.json")],
            Path.Combine(directory, "load.log")))
        {
            await load.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(load.ExitCode == 0, load.Tail());
        }

        var violations = new List<string>();
        var count = 0;
        using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (count < 60 && await subscriber.Messages.WaitToReadAsync(quiet.Token))
        {
            while (subscriber.Messages.TryRead(out var message))
            {
                count++;
                if (PayloadSchemas.Violations(PayloadSchemas.Telemetry, message.Payload.Span) is { Length: > 0 } problem)
                    violations.Add($"{message.Topic}: {problem}");
            }
        }

        Assert.Equal(60, count); // 3 stations × 20 msg/s × 1 s
        Assert.Empty(violations);
        Directory.Delete(directory, recursive: true);
    }
}
