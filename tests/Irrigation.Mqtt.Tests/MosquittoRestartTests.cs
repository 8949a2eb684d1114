using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.Peers;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>The broker is stopped (SIGTERM) and started again in the middle of a QoS 1 stream: nothing may be lost.</summary>
public sealed class MosquittoRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task BrokerRestartedMidStream_PersistentSubscriber_ReceivesEverySequenceNumber()
    {
        const int count = 2000;
        var id = Guid.NewGuid().ToString("N")[..8];
        var topic = $"test/{id}/seq";
        await using var broker = await MosquittoBroker.StartAsync();
        await using var subscriber = new ReconnectingMqttClient(broker.ClientOptions($"seq-sub-{id}", cleanSession: false), new TestLogger(output, "sub"));
        await using var publisher = new ReconnectingMqttClient(broker.ClientOptions($"seq-pub-{id}", cleanSession: false), new TestLogger(output, "pub"));
        await subscriber.ConnectAsync(CancellationToken.None);
        await subscriber.SubscribeOneAsync(topic);
        await publisher.ConnectAsync(CancellationToken.None);

        var seen = new ConcurrentDictionary<int, int>();
        using var stopReading = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var message in subscriber.Messages.ReadAllAsync(stopReading.Token))
                seen.AddOrUpdate(int.Parse(message.Text(), CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
        });

        // Paced so that the restart lands mid-stream; up to 100 (MaxInflight) stay unacknowledged at any time.
        var publishes = new List<Task>(count);
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                publishes.Add(publisher.PublishAsync(new MqttApplicationMessage(topic, Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)), MqttQualityOfService.AtLeastOnce), CancellationToken.None));
                if (i % 20 == 19)
                    await Task.Delay(10);
            }
        });

        await Poll.UntilAsync(() => seen.Count >= count / 4, "a quarter of the stream arrived", Deadline);
        await broker.StopAsync();
        output.WriteLine($"broker stopped after {seen.Count} distinct messages; publisher published {publisher.Counters.Published}, acked {publisher.Counters.PublishAcked}");
        await Poll.UntilAsync(() => !publisher.IsConnected && !subscriber.IsConnected, "both clients noticed the broker is gone");
        await broker.RestartAsync();

        await publishing.WaitAsync(Deadline);
        await Task.WhenAll(publishes).WaitAsync(Deadline);
        await Poll.UntilAsync(() => seen.Count == count, $"every sequence number arrived (have {seen.Count})", Deadline);
        await stopReading.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader);

        var missing = Enumerable.Range(0, count).Where(i => !seen.ContainsKey(i)).ToArray();
        Assert.True(missing.Length == 0, $"missing: {string.Join(", ", missing.Take(20))}\nbroker log:\n{broker.Log}");
        output.WriteLine($"duplicates {seen.Values.Sum() - count}; publisher resent {publisher.Counters.Resent}, connects {publisher.Counters.Connects}; subscriber connects {subscriber.Counters.Connects}");
        Assert.True(publisher.Counters.Resent > 0 || publisher.Counters.Connects >= 2, "the publisher went through a reconnect");
        Assert.True(publisher.Counters.ConnectionLosses >= 1 && subscriber.Counters.ConnectionLosses >= 1, "both clients lost the broker");
        Assert.Equal(count, publisher.Counters.PublishAcked);
    }
}
