using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.TestSupport;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>
/// The client against a real three-node NATS cluster (MQTT 3.1.1 over JetStream, <see cref="NatsCluster"/>): a node
/// killed with SIGKILL under QoS 1 load loses no acknowledged message, and a subscription made while JetStream elects
/// a leader (NATS mostly refuses it with 0x80) is granted in the end and delivers. Figures go to the test output (docs/scale-out.md quotes them).
/// </summary>
public sealed class NatsClusterFailoverTests(ITestOutputHelper output)
{
    private const string MessagesStream = "$MQTT_msgs";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    private readonly TestLogger _logger = new(output);

    [Fact]
    public async Task Publish_PublishersNodeAndStreamLeaderKilled_EveryAcknowledgedNumberReceived()
    {
        const int count = 4000;
        const int batch = 100; // as the gateway's outbox: a batch of publishes, all awaited, then the next
        await using var cluster = await NatsCluster.StartAsync();
        var leader = await CreateStreamsAndFindLeaderAsync(cluster);
        var subscriberNode = leader % NatsCluster.Size + 1;

        await using var subscriber = new ReconnectingMqttClient(cluster.ClientOptions(subscriberNode, "failover-sub", inbound: 20_000), _logger);
        var received = new ConcurrentQueue<(int Number, long Ticks)>();
        await ConnectAsync(subscriber);
        await subscriber.SubscribeAsync([new MqttTopicFilter("failover/+")], CancellationToken.None);
        await Poll.UntilAsync(() => subscriber.SubscriptionsGranted, "the subscription is granted", TimeSpan.FromSeconds(30));
        using var stopReading = new CancellationTokenSource();
        var reading = ReadAsync(subscriber, received, stopReading.Token);

        await using var publisher = new ReconnectingMqttClient(cluster.ClientOptions(leader, "failover-pub"), _logger);
        await ConnectAsync(publisher);
        Assert.Equal(leader, cluster.NodeOfMqttPort(publisher.ConnectedBroker!.Value.Port));

        var clock = Stopwatch.StartNew();
        var acked = new ConcurrentQueue<(int Number, long Ticks, int Port)>();
        long killedAt = 0;
        var killing = Task.Run(async () =>
        {
            await Poll.UntilAsync(() => acked.Count >= count / 3, "a third is acknowledged", RunTimeout);
            killedAt = clock.ElapsedTicks;
            await cluster.KillAsync(leader);
        });
        using (var deadline = new CancellationTokenSource(RunTimeout))
        {
            for (var first = 1; first <= count; first += batch)
            {
                var sends = Enumerable.Range(first, Math.Min(batch, count - first + 1)).Select(async n =>
                {
                    await publisher.PublishAsync(new MqttApplicationMessage($"failover/{n % 10}", Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture)), MqttQualityOfService.AtLeastOnce), deadline.Token);
                    acked.Enqueue((n, clock.ElapsedTicks, publisher.ConnectedBroker?.Port ?? 0));
                });
                await Task.WhenAll(sends);
            }
        }

        await killing;
        var publishedIn = clock.Elapsed;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90); // bounded; the assertions below say what is missing
        while (received.Select(r => r.Number).Distinct().Count() < count && DateTime.UtcNow < until)
            await Task.Delay(100);
        await stopReading.CancelAsync();
        await reading;

        var killedPort = cluster.MqttPort(leader);
        var ackedNumbers = acked.Select(a => a.Number).ToHashSet();
        var got = received.Select(r => r.Number).ToList();
        var missing = ackedNumbers.Except(got).Order().ToList();
        var duplicates = got.Count - got.Distinct().Count();
        var nextAck = acked.Where(a => a.Ticks > killedAt && a.Port != killedPort && a.Port != 0).Select(a => a.Ticks).DefaultIfEmpty(long.MaxValue).Min();
        var failover = TimeSpan.FromSeconds((nextAck - killedAt) / (double)Stopwatch.Frequency);
        var ordered = received.Select(r => r.Ticks).Order().ToList();
        var longestGap = ordered.Zip(ordered.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max() / (double)Stopwatch.Frequency;
        output.WriteLine($"killed node {leader} (publisher's node, leader of {MessagesStream}); subscriber on node {subscriberNode}");
        output.WriteLine($"acked {ackedNumbers.Count}, received {got.Count} ({got.Distinct().Count()} distinct), missing {missing.Count}, duplicates {duplicates}");
        output.WriteLine($"kill -> first PUBACK from another node: {failover.TotalSeconds:0.00} s; publisher now on node {cluster.NodeOfMqttPort(publisher.ConnectedBroker?.Port ?? 0)}; subscriber's longest gap {longestGap:0.00} s; all {count} acked in {publishedIn.TotalSeconds:0.0} s");
        output.WriteLine($"publisher: connects {publisher.Counters.Connects}, losses {publisher.Counters.ConnectionLosses}, PUBACK timeouts {publisher.Counters.PubAckTimeouts}, resent {publisher.Counters.Resent}; subscriber: connects {subscriber.Counters.Connects}, refused subscriptions {subscriber.Counters.SubscriptionsRefused}");

        Assert.Equal(count, ackedNumbers.Count);
        Assert.True(missing.Count == 0, $"acknowledged but never received: {string.Join(", ", missing.Take(50))}{(missing.Count > 50 ? " …" : "")}");
        Assert.NotEqual(killedPort, publisher.ConnectedBroker!.Value.Port);
        Assert.True(failover < TimeSpan.FromSeconds(60), $"kill -> next PUBACK took {failover}");

        await cluster.RestartAsync(leader);
        Assert.True(cluster.IsRunning(leader));
    }

    [Fact]
    public async Task Subscribe_RightAfterTheStreamLeaderIsKilled_GrantedInTheEndAndDelivers()
    {
        await using var cluster = await NatsCluster.StartAsync();
        var leader = await CreateStreamsAndFindLeaderAsync(cluster);
        var node = leader % NatsCluster.Size + 1;
        await using var publisher = new ReconnectingMqttClient(cluster.ClientOptions(node, "election-pub"), _logger);
        await ConnectAsync(publisher);

        await using var subscriber = new ReconnectingMqttClient(cluster.ClientOptions(node, "election-sub"), _logger);
        await ConnectAsync(subscriber);

        // The subscriber's node survives; the SUBSCRIBE that follows the kill needs a JetStream consumer on the stream
        // that has just lost its leader.
        var clock = Stopwatch.StartNew();
        await cluster.KillAsync(leader);
        IReadOnlyList<MqttSubscribeResult>? first = null;
        var readyAfterFirst = false;
        try
        {
            first = await subscriber.SubscribeAsync([new MqttTopicFilter("election/+")], CancellationToken.None);
            readyAfterFirst = subscriber.SubscriptionsGranted;
        }
        catch (MqttClientException ex)
        {
            output.WriteLine($"first SUBSCRIBE: {ex.Message}");
        }

        await Poll.UntilAsync(() => subscriber.SubscriptionsGranted, "the subscription is granted", TimeSpan.FromSeconds(90));
        var grantedAfter = clock.Elapsed;

        // Granted means delivered: a QoS 1 message published now reaches the subscriber.
        await publisher.PublishAsync(new MqttApplicationMessage("election/1", "after"u8.ToArray(), MqttQualityOfService.AtLeastOnce), new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        var message = await subscriber.ReadOneAsync(TimeSpan.FromSeconds(30));

        output.WriteLine($"killed node {leader} (leader of {MessagesStream}); subscriber on node {cluster.NodeOfMqttPort(subscriber.ConnectedBroker?.Port ?? 0)}: first SUBACK {(first is null ? "none" : $"0x{first[0].ReturnCode:X2}")}, refusals {subscriber.Counters.SubscriptionsRefused}, granted {grantedAfter.TotalSeconds:0.0} s after the kill; connects {subscriber.Counters.Connects}");
        Assert.Equal(("election/1", "after"), (message.Topic, message.Text()));
        // NATS refused that SUBSCRIBE in 4 of 5 runs here, and granted it at once in one (under a full test run): the
        // refusal cannot be provoked every time, so the retry itself is pinned down against a scripted broker
        // (ReconnectingMqttClientBrokerListTests); here, when it was refused, the client must have said so.
        if (first is { } answer && answer[0].ReturnCode >= 0x80)
            Assert.False(readyAfterFirst, "not ready while the subscription is refused");
    }

    /// <summary>The MQTT streams exist once a client has connected; returns the node leading <c>$MQTT_msgs</c>.</summary>
    private async Task<int> CreateStreamsAndFindLeaderAsync(NatsCluster cluster)
    {
        await using (var first = new ReconnectingMqttClient(cluster.ClientOptions(1, "streams-" + Guid.NewGuid().ToString("N")[..6], clean: true), _logger))
            await ConnectAsync(first);
        var leader = await cluster.WaitForStreamLeaderAsync(MessagesStream, TimeSpan.FromSeconds(30));
        output.WriteLine($"{MessagesStream} leader: node {leader}");
        return leader;
    }

    private static async Task ConnectAsync(ReconnectingMqttClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await client.ConnectAsync(CancellationToken.None);
                return;
            }
            catch (MqttConnectException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200); // a cluster still electing may take a CONNECT and not answer it
            }
        }
    }

    private async Task ReadAsync(ReconnectingMqttClient client, ConcurrentQueue<(int, long)> received, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in client.Messages.ReadAllAsync(cancellationToken))
                received.Enqueue((int.Parse(message.Text(), CultureInfo.InvariantCulture), Stopwatch.GetTimestamp()));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine($"subscriber stopped reading after {received.Count} messages");
        }
    }

}
