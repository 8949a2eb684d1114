using System.Collections.Concurrent;
using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.Peers;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>Our client against a real mosquitto 2.0 and its own command-line clients.</summary>
public sealed class MosquittoInteropTests(MosquittoFixture fixture, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly string _id = Guid.NewGuid().ToString("N")[..8];

    private MosquittoBroker Broker => fixture.Broker;

    [Fact]
    public async Task PublishAsync_QoS0AndQoS1_MosquittoSubReceivesThem()
    {
        // stdbuf -oL: mosquitto_sub's debug lines would otherwise sit in a full stdout buffer until it exits.
        await using var sub = ManagedProcess.Start("/usr/bin/stdbuf", ["-oL", DebianMqttPeers.Require(DebianMqttPeers.MosquittoSub), "-d", "-h", "127.0.0.1", "-p", $"{Broker.Port}", "-i", $"sub-{_id}", "-t", $"test/{_id}/#", "-q", "1", "-v", "-C", "2"]);
        await sub.WaitForOutputLineAsync(l => l.StartsWith("Subscribed", StringComparison.Ordinal), "SUBACK", Deadline);
        await using var client = await ConnectAsync(Broker.ClientOptions($"pub-{_id}"));

        await client.PublishAsync(new MqttApplicationMessage($"test/{_id}/q0", "zero"u8.ToArray()), CancellationToken.None);
        await client.PublishAsync(new MqttApplicationMessage($"test/{_id}/q1", "one"u8.ToArray(), MqttQualityOfService.AtLeastOnce), CancellationToken.None);

        Assert.Equal(0, await sub.WaitForExitAsync(Deadline));
        var lines = sub.StandardOutput.Split('\n').Where(l => l.StartsWith($"test/{_id}/", StringComparison.Ordinal)).ToArray();
        Assert.Equal([$"test/{_id}/q0 zero", $"test/{_id}/q1 one"], lines.Order());
        Assert.Contains(sub.StandardOutput.Split('\n'), l => l.Contains("received PUBLISH (d0, q1", StringComparison.Ordinal));
        Assert.Equal(1, client.Counters.PublishAcked);
    }

    [Fact]
    public async Task MosquittoPub_QoS0AndQoS1_OurSubscriberReceivesThem()
    {
        await using var client = await ConnectAsync(Broker.ClientOptions($"sub-{_id}"));
        await client.SubscribeOneAsync($"test/{_id}/#");

        await RunMosquittoPubAsync("-q", "0", "-t", $"test/{_id}/a", "-m", "zero");
        await RunMosquittoPubAsync("-q", "1", "-t", $"test/{_id}/b", "-m", "one");

        var messages = await client.ReadManyAsync(2, Deadline);
        Assert.Equal([($"test/{_id}/a", "zero", MqttQualityOfService.AtMostOnce), ($"test/{_id}/b", "one", MqttQualityOfService.AtLeastOnce)], messages.Select(m => (m.Topic, m.Text(), m.QualityOfService)));
        Assert.All(messages, m => Assert.False(m.Retain));
        Assert.Equal(1, client.Counters.Acked);
    }

    [Fact]
    public async Task RetainedMessage_LaterSubscriber_ReceivesItWithRetainFlag()
    {
        await RunMosquittoPubAsync("-q", "1", "-r", "-t", $"test/{_id}/theirs", "-m", "kept-by-mosquitto_pub");
        await using (var publisher = await ConnectAsync(Broker.ClientOptions($"pub-{_id}")))
            await publisher.PublishAsync(new MqttApplicationMessage($"test/{_id}/ours", "kept-by-us"u8.ToArray(), MqttQualityOfService.AtLeastOnce, Retain: true), CancellationToken.None);

        await using var late = await ConnectAsync(Broker.ClientOptions($"late-{_id}"));
        await late.SubscribeOneAsync($"test/{_id}/+");
        var messages = await late.ReadManyAsync(2, Deadline);

        Assert.Equal(["kept-by-mosquitto_pub", "kept-by-us"], messages.Select(m => m.Text()).Order());
        Assert.All(messages, m => Assert.True(m.Retain));
    }

    [Fact]
    public async Task SharedSubscription_TwoClients_SplitTheStreamWithNothingLost()
    {
        const int count = 200;
        await using var first = await ConnectAsync(Broker.ClientOptions($"share1-{_id}"));
        await using var second = await ConnectAsync(Broker.ClientOptions($"share2-{_id}"));
        await first.SubscribeOneAsync($"$share/g/test/{_id}/#");
        await second.SubscribeOneAsync($"$share/g/test/{_id}/#");
        var seen = new ConcurrentDictionary<string, int>();
        var perClient = new int[2];
        using var stop = new CancellationTokenSource();
        var readers = new[] { first, second }.Select((client, index) => Task.Run(async () =>
        {
            await foreach (var message in client.Messages.ReadAllAsync(stop.Token))
            {
                seen[message.Text()] = index;
                Interlocked.Increment(ref perClient[index]);
            }
        })).ToArray();

        await using (var publisher = await ConnectAsync(Broker.ClientOptions($"sharepub-{_id}")))
            await Task.WhenAll(Enumerable.Range(0, count).Select(i => publisher.PublishAsync(new MqttApplicationMessage($"test/{_id}/{i % 4}", Encoding.UTF8.GetBytes($"{i}"), MqttQualityOfService.AtLeastOnce), CancellationToken.None)));
        await Poll.UntilAsync(() => seen.Count == count, $"all {count} shared messages arrived (have {seen.Count})", Deadline);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(readers));

        Assert.True(perClient[0] > 0 && perClient[1] > 0, $"both share the stream: {perClient[0]} + {perClient[1]}");
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"{i}").Order(), seen.Keys.Order());
    }

    [Fact]
    public async Task ManualAck_NotAckedThenReconnected_BrokerRedeliversUntilAcked()
    {
        var options = Broker.ClientOptions($"manual-{_id}", cleanSession: false);
        options.ManualAck = true;
        await using (var first = await ConnectAsync(options))
        {
            await first.SubscribeOneAsync($"test/{_id}/cmd");
            await using (var publisher = await ConnectAsync(Broker.ClientOptions($"cmdpub-{_id}")))
                await publisher.PublishAsync(new MqttApplicationMessage($"test/{_id}/cmd", "open-valve-3"u8.ToArray(), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
            var unacked = await first.ReadOneAsync(Deadline);
            Assert.Equal(("open-valve-3", false), (unacked.Text(), unacked.Duplicate));
            await first.DisconnectAsync(CancellationToken.None); // a crash before the ack, as far as the broker knows
        }

        await using (var second = await ConnectAsync(options))
        {
            var redelivered = await second.ReadOneAsync(Deadline);
            Assert.Equal(("open-valve-3", true), (redelivered.Text(), redelivered.Duplicate));
            await redelivered.AckAsync();
            Assert.Equal(1, second.Counters.Acked);
            await second.DisconnectAsync(CancellationToken.None);
        }

        await using var third = await ConnectAsync(options);
        await third.AssertNoMessageAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task ManualAck_FiveThousandAckedInOneCall_BrokerConsidersEveryOneDelivered()
    {
        const int count = 5000;
        var options = Broker.ClientOptions($"batchack-{_id}", cleanSession: false);
        options.ManualAck = true;
        options.InboundCapacity = count;
        await using (var first = await ConnectAsync(options))
        {
            await first.SubscribeOneAsync($"test/{_id}/batch");
            await using (var publisher = await ConnectAsync(Broker.ClientOptions($"batchpub-{_id}")))
            {
                await Task.WhenAll(Enumerable.Range(0, count).Select(i => publisher.PublishAsync(
                    new MqttApplicationMessage($"test/{_id}/batch", Encoding.UTF8.GetBytes($"{i}"), MqttQualityOfService.AtLeastOnce), CancellationToken.None)));
            }

            var received = new List<MqttReceivedMessage>(count);
            while (received.Count < count)
                received.Add(await first.ReadOneAsync(Deadline));
            Assert.Equal(Enumerable.Range(0, count).Select(i => $"{i}"), received.Select(m => m.Text()));

            await first.AckAsync(received, CancellationToken.None);

            Assert.Equal(count, first.Counters.Acked);
            await first.DisconnectAsync(CancellationToken.None);
        }

        // Had any PUBACK been lost or malformed, the broker would redeliver that message to the same session now.
        await using var second = await ConnectAsync(options);
        await second.AssertNoMessageAsync(TimeSpan.FromSeconds(1));
    }

    [Theory]
    // A pause shorter than the keep-alive period: the connection stays, nothing is lost, the channel never holds more than its capacity.
    [InlineData(10, 6, true)]
    // A pause longer than keep-alive and its half-period ping timeout: while the application is behind, the socket is not
    // read (that is the back-pressure), so MQTTnet misses the PINGRESP and reconnects; the persistent session loses nothing.
    [InlineData(1, 4, false)]
    public async Task Messages_SlowReaderWithSmallInboundCapacity_NothingLostMemoryBounded(int keepAliveSeconds, int pauseSeconds, bool connectionKept)
    {
        const int count = 1000;
        const int capacity = 8;
        var options = Broker.ClientOptions($"slow-{_id}", cleanSession: false);
        options.InboundCapacity = capacity;
        options.KeepAlive = TimeSpan.FromSeconds(keepAliveSeconds);
        options.ReconnectDelay = TimeSpan.FromMilliseconds(100);
        await using var subscriber = await ConnectAsync(options);
        await subscriber.SubscribeOneAsync($"test/{_id}/bp");
        await using var publisher = await ConnectAsync(Broker.ClientOptions($"fast-{_id}"));

        var padding = new string('x', 2000);
        var publishing = Task.WhenAll(Enumerable.Range(0, count).Select(i => publisher.PublishAsync(new MqttApplicationMessage($"test/{_id}/bp", Encoding.UTF8.GetBytes($"{i:D6}|{padding}"), MqttQualityOfService.AtLeastOnce), CancellationToken.None)));
        var received = new HashSet<int>();
        var fullest = 0;
        var read = 0;
        while (received.Count < count)
        {
            fullest = Math.Max(fullest, subscriber.Messages.Count);
            var message = await WithBrokerLogAsync(subscriber.ReadOneAsync(Deadline));
            received.Add(int.Parse(message.Text()[..6], System.Globalization.CultureInfo.InvariantCulture));
            if (++read == 50)
                await Task.Delay(TimeSpan.FromSeconds(pauseSeconds));
            else if (read % 100 == 0)
                await Task.Delay(20);
        }

        await publishing.WaitAsync(Deadline);
        Assert.Equal(Enumerable.Range(0, count), received.Order());
        Assert.Equal(capacity, fullest);
        if (connectionKept)
            Assert.Equal(0, subscriber.Counters.ConnectionLosses);
        Assert.Equal(0, publisher.Counters.ConnectionLosses);
    }

    /// <summary>Adds mosquitto's log to a failure: it says why the broker dropped or refused a client.</summary>
    private async Task<T> WithBrokerLogAsync<T>(Task<T> task)
    {
        try
        {
            return await task;
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nmosquitto log:\n{Broker.Log}", ex);
        }
    }

    private async Task RunMosquittoPubAsync(params string[] arguments)
    {
        await using var pub = ManagedProcess.Start(DebianMqttPeers.Require(DebianMqttPeers.MosquittoPub), ["-h", "127.0.0.1", "-p", $"{Broker.Port}", .. arguments]);
        Assert.Equal(0, await pub.WaitForExitAsync(Deadline));
    }

    private async Task<ReconnectingMqttClient> ConnectAsync(MqttClientOptions options)
    {
        var client = new ReconnectingMqttClient(options, new TestLogger(output, options.ClientId));
        using var deadline = new CancellationTokenSource(Deadline);
        await client.ConnectAsync(deadline.Token);
        return client;
    }
}
