using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;
using Irrigation.Testing.Waiting;
using Xunit.Abstractions;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// The real gateway and firmware-sim against a real three-node NATS cluster (MQTT 3.1.1, all three addresses in
/// mqtt.brokers): the node the gateway publishes to — also the leader of the QoS 1 stream — is killed with SIGKILL, and
/// every telemetry sequence number the gateway produced still reaches a persistent subscriber on another node.
/// </summary>
[Collection("EndToEnd")]
public sealed class GatewayNatsClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Telemetry_GatewaysNodeKilled_EverySequenceNumberArrivesThroughAnotherNode()
    {
        await using var cluster = await NatsCluster.StartAsync();
        await using (var first = new ReconnectingMqttClient(cluster.ClientOptions(1, "streams", clean: true)))
            await first.ConnectAsync(CancellationToken.None);
        var leader = await cluster.WaitForStreamLeaderAsync("$MQTT_msgs", TimeSpan.FromSeconds(30));
        var collectorNode = leader % NatsCluster.Size + 1;

        await using var collector = new ReconnectingMqttClient(cluster.ClientOptions(collectorNode, "e2e-nats-collector"));
        await collector.ConnectAsync(CancellationToken.None);
        await collector.SubscribeAsync([new MqttTopicFilter("irrigation/+/telemetry")], CancellationToken.None);
        await Poll.UntilAsync(() => collector.SubscriptionsGranted, "the collector's subscription is granted", TimeSpan.FromSeconds(30));
        var received = new ConcurrentQueue<(string Station, long Seq, long Ticks)>();
        using var stop = new CancellationTokenSource();
        var reading = ReadAsync(collector, received, stop.Token);

        var directory = Path.Combine(Path.GetTempPath(), $"irrigation-e2e-nats-{Guid.NewGuid():N}"[..40]);
        await using var simulator = await SimulatorProcess.StartAsync(directory, stations: 2, mqttPort: cluster.MqttPort(leader));
        var config = JsonNode.Parse(await File.ReadAllTextAsync(simulator.GatewayConfig!))!.AsObject();
        config["mqtt"] = new JsonObject
        {
            ["protocol"] = "3.1.1",
            ["brokers"] = new JsonArray([.. cluster.MqttAddressesFrom(leader).Select(a => (JsonNode?)JsonValue.Create(a))]),
        };
        config["publishing"] = new JsonObject { ["snapshotInterval"] = "00:00:01" };
        await File.WriteAllTextAsync(simulator.GatewayConfig!, config.ToJsonString());
        await using var gateway = await GatewayProcess.StartAsync(simulator.GatewayConfig!, Path.Combine(directory, "gateway.log"));

        await gateway.WaitForLineAsync(l => l.Contains($"127.0.0.1:{cluster.MqttPort(leader)} (broker 1 of 3)", StringComparison.Ordinal) && l.Contains("connected over MQTT 3.1.1", StringComparison.Ordinal), Wait);
        await Poll.UntilAsync(() => received.Count(r => r.Station == "st002") >= 5, "telemetry of both stations flows", Wait);
        var clock = Stopwatch.StartNew();
        var killedAt = Stopwatch.GetTimestamp();
        await cluster.KillAsync(leader);
        var moved = await gateway.WaitForLineAsync(l => l.Contains("connected over MQTT 3.1.1", StringComparison.Ordinal) && l.Contains("(broker 1 of 3)", StringComparison.Ordinal) is false && l.Contains(" of 3)", StringComparison.Ordinal), Wait);
        var movedAfter = clock.Elapsed;

        // The election takes 6-17 s (docs/scale-out.md): wait for telemetry stored after it, let the gateway publish a few
        // seconds more, then read until each station's numbers are contiguous.
        await Poll.UntilAsync(() => received.Any(r => r.Ticks > killedAt), "telemetry arrives again after the kill", TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(5));
        var until = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < until && Gaps(received).Count > 0)
            await Task.Delay(200);
        await stop.CancelAsync();
        await reading;

        var gaps = Gaps(received);
        var afterKill = received.Where(r => r.Ticks > killedAt).Select(r => r.Ticks).DefaultIfEmpty(long.MaxValue).Min();
        var duplicates = received.Count - received.Select(r => (r.Station, r.Seq)).Distinct().Count();
        foreach (var station in received.GroupBy(r => r.Station).OrderBy(g => g.Key))
            output.WriteLine($"{station.Key}: seq {station.Min(r => r.Seq)}..{station.Max(r => r.Seq)}, {station.Count()} messages ({station.Select(r => r.Seq).Distinct().Count()} distinct)");
        output.WriteLine($"killed node {leader} (the gateway's, leader of $MQTT_msgs); collector on node {collectorNode}; gateway reconnected {movedAfter.TotalSeconds:0.0} s after the kill: {moved}");
        output.WriteLine($"first telemetry after the kill: {(afterKill - killedAt) / (double)Stopwatch.Frequency:0.00} s; duplicates {duplicates}; gaps {gaps.Count}");

        Assert.True(gaps.Count == 0, $"sequence numbers never received: {string.Join(", ", gaps.Take(30))}\ngateway:\n{gateway.Tail(60)}");
        Assert.True(received.Count(r => r.Ticks > afterKill) >= 4, "telemetry kept flowing after the kill");
    }

    /// <summary>Per station, the numbers between 1 and the highest received that never arrived.</summary>
    private static List<string> Gaps(IEnumerable<(string Station, long Seq, long Ticks)> received) =>
        [.. received.GroupBy(r => r.Station).SelectMany(g =>
        {
            var seen = g.Select(r => r.Seq).ToHashSet();
            return Enumerable.Range(1, (int)g.Max(r => r.Seq)).Where(n => !seen.Contains(n)).Select(n => $"{g.Key}#{n}");
        })];

    private async Task ReadAsync(ReconnectingMqttClient client, ConcurrentQueue<(string, long, long)> received, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in client.Messages.ReadAllAsync(cancellationToken))
            {
                var json = JsonNode.Parse(Encoding.UTF8.GetString(message.Payload.Span))!;
                received.Enqueue(((string)json["station"]!, (long)json["seq"]!, Stopwatch.GetTimestamp()));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine($"collector stopped after {received.Count} messages");
        }
    }

}
