using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using static Irrigation.Server.Tests.OperatorApiTests;

namespace Irrigation.Server.Tests;

/// <summary>
/// Commands are signed by the server and the gateway acts on nothing else. Against the real stack — mosquitto,
/// simulator, gateway, server — someone with broker access publishes with <c>mosquitto_pub</c>: an unsigned start, a
/// start signed with a key the gateway does not hold, a real signature moved to another pump, and a captured genuine
/// command replayed after the operator stopped the pump. Each is refused (bad_signature) or answered with its first
/// result, the pump never runs, and the server audits and counts what it never issued.
/// </summary>
[Collection("SystemFlows")]
public sealed class SignedCommandTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ForgedAlteredAndReplayedCommands_Refused_PumpNeverRuns_ServerAuditsThem()
    {
        await using var stack = await SystemStack.StartAsync("signed-commands", new SystemStackOptions { Stations = 1 });
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        await using var results = new ReconnectingMqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = stack.Broker.Port, ClientId = "results-" + Guid.NewGuid().ToString("N")[..8] }, NullLogger.Instance);
        await results.ConnectAsync(CancellationToken.None);
        await results.SubscribeAsync([new MqttTopicFilter(Topics.CommandResult("irrigation", "st001"), MqttQualityOfService.AtLeastOnce)], CancellationToken.None);
        var key = CommandSignature.ParseKey(stack.CommandKey)!;
        var now = DateTimeOffset.UtcNow;
        CommandMessage Command(string id, PumpAction action, int pump) =>
            new(id, action, pump, "attacker", now.AddSeconds(30)) { IssuedAt = now };

        // 1. Unsigned, as anyone with the broker password could send it.
        await PublishAsync(stack, Encoding.UTF8.GetString(CommandPayload.Write(Command("forged-unsigned", PumpAction.Start, 1))));
        // 2. Signed, but with a key of the attacker's own under the gateway's key id.
        var ownKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await PublishAsync(stack, Encoding.UTF8.GetString(CommandPayload.Write(CommandSignature.Sign(Command("forged-wrong-key", PumpAction.Start, 1), "st001", SystemStack.CommandKeyId, ownKey))));
        // 3. A genuine signature for pump 1, the payload changed to pump 2.
        var genuine = CommandSignature.Sign(Command("forged-altered", PumpAction.Start, 1), "st001", SystemStack.CommandKeyId, key);
        await PublishAsync(stack, Encoding.UTF8.GetString(CommandPayload.Write(genuine with { Pump = 2 })));

        var refused = await ResultsAsync(results, "forged-unsigned", "forged-wrong-key", "forged-altered");
        foreach (var id in new[] { "forged-unsigned", "forged-wrong-key", "forged-altered" })
        {
            var result = refused[id];
            Assert.Equal((CommandOutcomes.Rejected, CommandReasons.BadSignature), (result.Outcome, result.Reason));
        }

        Assert.Contains("not signed", refused["forged-unsigned"].Detail, StringComparison.Ordinal);
        Assert.Contains("does not match", refused["forged-wrong-key"].Detail, StringComparison.Ordinal);
        Assert.Contains("does not match", refused["forged-altered"].Detail, StringComparison.Ordinal);
        await Task.Delay(1500);
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));

        // 4. Replay: a genuine command (signed with the real key, as one captured off the broker would be) runs once;
        // after the operator stops the pump, the same message published again is answered with its first result only.
        var captured = Encoding.UTF8.GetString(CommandPayload.Write(CommandSignature.Sign(Command("captured-start", PumpAction.Start, 1) with { RequestedBy = "operator" }, "st001", SystemStack.CommandKeyId, key)));
        await PublishAsync(stack, captured);
        Assert.Equal(CommandOutcomes.Succeeded, (await ResultsAsync(results, "captured-start"))["captured-start"].Outcome);
        using var operatorClient = await stack.SignInAsync("operator");
        using (var stop = await CommandAsync(operatorClient, "st001", 1, "stop"))
            Assert.Equal("succeeded", (await WaitForFinalAsync(operatorClient, (await JsonAsync(stop))["id"]!.GetValue<string>(), Wait))["state"]!.GetValue<string>());
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));
        await PublishAsync(stack, captured);
        Assert.Equal(CommandOutcomes.Succeeded, (await ResultsAsync(results, "captured-start"))["captured-start"].Outcome); // the first result, repeated
        await Task.Delay(1500);
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));

        // The server never issued the three forgeries: each is audited and counted as such.
        using var admin = await stack.SignInAsync("admin");
        var audit = await Poll.UntilAsync(
            async () => JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?action=command.forged&limit=50", UriKind.Relative)))!.AsArray(),
            a => a.Count >= 3, Wait, TimeSpan.FromMilliseconds(500));
        Assert.All(audit, e => Assert.Equal($"gateway:{stack.GatewayId}", e!["actor"]!.GetValue<string>()));
        Assert.Contains(audit, e => e!["detail"]!.GetValue<string>().StartsWith("forged-altered start", StringComparison.Ordinal));
        var metrics = PrometheusText.Parse(await admin.GetStringAsync(new Uri("metrics", UriKind.Relative)));
        Assert.Equal(3, metrics["irrigation_commands_forged_total"]);

        // And a critical security alarm on the station, naming the gateway that refused them.
        var alarms = await Poll.UntilAsync(
            async () => JsonNode.Parse(await admin.GetStringAsync(new Uri("api/alarms?station=st001&state=open", UriKind.Relative)))!.AsArray(),
            a => a.Any(x => x!["rule"]!.GetValue<string>() == "forged_command"), Wait, TimeSpan.FromMilliseconds(500));
        var alarm = alarms.First(x => x!["rule"]!.GetValue<string>() == "forged_command")!;
        Assert.Equal(("critical", "forged_command", stack.GatewayId), (alarm["severity"]!.GetValue<string>(), alarm["messageCode"]!.GetValue<string>(), alarm["messageArgs"]!["gateway"]!.GetValue<string>()));
    }

    /// <summary>
    /// Key rotation without a moment in which commands fail: the gateway holds the old and the new key; the server
    /// switches to signing with the new one; the gateway then drops the old one — after which a command signed with it
    /// (captured before, or signed by whoever still has it) is refused and the pump stays still.
    /// </summary>
    [Fact]
    public async Task KeyRotation_GatewayHoldsBothDuringTheChangeOver_ThenTheOldKeyIsRefused()
    {
        var newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var options = new SystemStackOptions
        {
            Stations = 1,
            ConfigureGateway = config => config["commands"]!["keys"]!.AsArray().Add(new JsonObject { ["id"] = "k2", ["secret"] = newKey }),
        };
        await using var stack = await SystemStack.StartAsync("key-rotation", options);
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        await using var commands = new ReconnectingMqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = stack.Broker.Port, ClientId = "cmds-" + Guid.NewGuid().ToString("N")[..8] }, NullLogger.Instance);
        await commands.ConnectAsync(CancellationToken.None);
        await commands.SubscribeAsync([new MqttTopicFilter(Topics.Command("irrigation", "st001"), MqttQualityOfService.AtLeastOnce)], CancellationToken.None);

        // 1. Before: the server signs with k1, which the gateway holds.
        using (var operatorClient = await stack.SignInAsync("operator"))
        using (var start = await CommandAsync(operatorClient, "st001", 1, "start"))
            Assert.Equal("succeeded", (await WaitForFinalAsync(operatorClient, (await JsonAsync(start))["id"]!.GetValue<string>(), Wait))["state"]!.GetValue<string>());
        Assert.Equal(SystemStack.CommandKeyId, await KeyIdOfNextCommandAsync(commands));

        // 2. The server switches to k2 (the gateway already holds it): commands keep working.
        stack.SetServerSetting($"Irrigation__Commands__GatewayKeys__{stack.GatewayId}__0__Id", "k2");
        stack.SetServerSetting($"Irrigation__Commands__GatewayKeys__{stack.GatewayId}__0__Secret", newKey);
        await stack.StopServerAsync();
        await stack.StartServerAsync();
        using (var operatorClient = await stack.SignInAsync("operator"))
        using (var stop = await CommandAsync(operatorClient, "st001", 1, "stop"))
            Assert.Equal("succeeded", (await WaitForFinalAsync(operatorClient, (await JsonAsync(stop))["id"]!.GetValue<string>(), Wait))["state"]!.GetValue<string>());
        Assert.Equal("k2", await KeyIdOfNextCommandAsync(commands));

        // 3. The gateway drops k1: a start signed with it now is refused and the pump stays still.
        var config = JsonNode.Parse(await File.ReadAllTextAsync(stack.GatewayConfigPath))!.AsObject();
        config["commands"]!["keys"] = new JsonArray(new JsonObject { ["id"] = "k2", ["secret"] = newKey });
        await File.WriteAllTextAsync(stack.GatewayConfigPath, config.ToJsonString());
        await stack.StopGatewayAsync();
        await stack.StartGatewayAsync();
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        await using var results = new ReconnectingMqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = stack.Broker.Port, ClientId = "results-" + Guid.NewGuid().ToString("N")[..8] }, NullLogger.Instance);
        await results.ConnectAsync(CancellationToken.None);
        await results.SubscribeAsync([new MqttTopicFilter(Topics.CommandResult("irrigation", "st001"), MqttQualityOfService.AtLeastOnce)], CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var old = CommandSignature.Sign(new CommandMessage("old-key-start", PumpAction.Start, 1, "operator", now.AddSeconds(30)) { IssuedAt = now }, "st001", SystemStack.CommandKeyId, CommandSignature.ParseKey(stack.CommandKey)!);
        await PublishAsync(stack, Encoding.UTF8.GetString(CommandPayload.Write(old)));

        var refused = (await ResultsAsync(results, "old-key-start"))["old-key-start"];
        Assert.Equal((CommandOutcomes.Rejected, CommandReasons.BadSignature), (refused.Outcome, refused.Reason));
        await Task.Delay(1500);
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));
    }

    /// <summary>
    /// A flood of forgeries from someone with broker access: none is acted on, and the gateway answers only its
    /// refusal budget's worth (30, then 30 a minute), so the flood fills neither its outbox nor the server's audit trail.
    /// </summary>
    [Fact]
    public async Task ForgeryFlood_NoneActedOn_AnswersBoundedByTheBudget_AuditMatches()
    {
        await using var stack = await SystemStack.StartAsync("forgery-flood", new SystemStackOptions { Stations = 1 });
        await stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        await using var attacker = new ReconnectingMqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = stack.Broker.Port, ClientId = "flood-" + Guid.NewGuid().ToString("N")[..8] }, NullLogger.Instance);
        await attacker.ConnectAsync(CancellationToken.None);
        await attacker.SubscribeAsync([new MqttTopicFilter(Topics.CommandResult("irrigation", "st001"), MqttQualityOfService.AtLeastOnce)], CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        const int Flood = 200;
        for (var i = 0; i < Flood; i++)
        {
            var forged = new CommandMessage($"flood-{i}", PumpAction.Start, 1, "attacker", now.AddSeconds(30)) { IssuedAt = now };
            await attacker.PublishAsync(new MqttApplicationMessage(Topics.Command("irrigation", "st001"), CommandPayload.Write(forged), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
        }

        // Read the answers until none came for 3 s (a loaded gateway may take longer than a fixed window for the flood),
        // at most 30 s.
        var answered = 0;
        var reading = System.Diagnostics.Stopwatch.StartNew();
        while (reading.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(answered == 0 ? 10 : 3));
            try
            {
                var message = await attacker.Messages.ReadAsync(quiet.Token);
                Assert.True(CommandResultPayload.TryRead(message.Payload.Span, out var result, out _));
                Assert.Equal(CommandReasons.BadSignature, result!.Reason);
                answered++;
            }
            catch (OperationCanceledException)
            {
                break; // quiet: the gateway has answered what its budget allows
            }
        }

        Assert.InRange(answered, 30, 40); // the burst, and what refilled while the flood was read (30 a minute)
        Assert.False(await stack.Simulator.PumpRunningAsync("st001", 1));
        // The gateway's log takes the flood as it answers it: one line per answered refusal and one summing up the rest.
        await stack.Gateway!.WaitForLineAsync(l => l.Contains("refused without an answer", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Equal(answered, stack.Gateway.Lines.Count(l => l.Contains("Refused command flood-", StringComparison.Ordinal)));
        using var admin = await stack.SignInAsync("admin");
        var audited = await Poll.UntilAsync(
            async () => PrometheusText.Parse(await admin.GetStringAsync(new Uri("metrics", UriKind.Relative))).GetValueOrDefault("irrigation_commands_forged_total"),
            n => n >= answered, Wait, TimeSpan.FromMilliseconds(500));
        Assert.Equal(answered, audited);
    }

    /// <summary>The key id of the next command the server publishes.</summary>
    private static async Task<string?> KeyIdOfNextCommandAsync(ReconnectingMqttClient client)
    {
        using var deadline = new CancellationTokenSource(Wait);
        var message = await client.Messages.ReadAsync(deadline.Token);
        return JsonNode.Parse(message.Payload.Span)!["keyId"]?.GetValue<string>();
    }

    private static async Task PublishAsync(SystemStack stack, string payload)
    {
        var result = await ManagedProcess.RunAsync(RequiredTool.Find("mosquitto_pub", "mosquitto-clients"),
            ["-h", "127.0.0.1", "-p", stack.Broker.Port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", Topics.Command("irrigation", "st001"), "-m", payload], TimeSpan.FromSeconds(10));
        await using (result)
            Assert.True(result.ExitCode == 0, result.Output);
    }

    /// <summary>The next result for each of <paramref name="ids"/> (results of other commands — the operator's — are passed over).</summary>
    private static async Task<Dictionary<string, CommandResultMessage>> ResultsAsync(ReconnectingMqttClient client, params string[] ids)
    {
        var results = new Dictionary<string, CommandResultMessage>(StringComparer.Ordinal);
        using var deadline = new CancellationTokenSource(Wait);
        var seen = new List<string>();
        try
        {
            while (!ids.All(results.ContainsKey))
            {
                var message = await client.Messages.ReadAsync(deadline.Token);
                Assert.True(CommandResultPayload.TryRead(message.Payload.Span, out var result, out var error), error);
                seen.Add($"{result!.Id}:{result.Outcome}");
                if (ids.Contains(result.Id))
                    results[result.Id] = result;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no result for {string.Join(", ", ids.Where(i => !results.ContainsKey(i)))} within {Wait.TotalSeconds} s; saw {string.Join(", ", seen)}");
        }

        return results;
    }
}
