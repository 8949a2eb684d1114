using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.Peers;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>
/// What MQTT 5 adds for safety, proven against a real mosquitto: a command the broker held too long is discarded,
/// a session ends by its own expiry, the broker honours our Receive Maximum, and a publish waits out a broker outage.
/// </summary>
public sealed class MosquittoMqtt5Tests(MosquittoFixture fixture, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];

    private MosquittoBroker Broker => fixture.Broker;

    [Fact]
    public async Task MessageExpiry_GatewayAwayLongerThanTheCommandLives_BrokerDiscardsItAndDeliversTheRest()
    {
        var gatewayOptions = Broker.ClientOptions($"gw-{_id}", cleanSession: false);
        await using (var gateway = await ConnectAsync(gatewayOptions))
        {
            await gateway.SubscribeOneAsync($"test/{_id}/cmd");
            await gateway.DisconnectAsync(CancellationToken.None);
        }

        await using (var server = await ConnectAsync(Broker.ClientOptions($"srv-{_id}")))
        {
            await server.PublishAsync(new MqttApplicationMessage($"test/{_id}/cmd", "start-pump-1"u8.ToArray(), MqttQualityOfService.AtLeastOnce) { Expiry = TimeSpan.FromSeconds(1) }, CancellationToken.None);
            await server.PublishAsync(new MqttApplicationMessage($"test/{_id}/cmd", "no-expiry"u8.ToArray(), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using var back = await ConnectAsync(gatewayOptions);

        var delivered = await back.ReadOneAsync(Deadline);
        Assert.Equal("no-expiry", delivered.Text());
        await back.AssertNoMessageAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task MessageExpiry_DeliveredInTime_CarriesTheCommand()
    {
        await using var gateway = await ConnectAsync(Broker.ClientOptions($"gw-{_id}", cleanSession: false));
        await gateway.SubscribeOneAsync($"test/{_id}/cmd");
        await using var server = await ConnectAsync(Broker.ClientOptions($"srv-{_id}"));

        await server.PublishAsync(new MqttApplicationMessage($"test/{_id}/cmd", "stop-pump-2"u8.ToArray(), MqttQualityOfService.AtLeastOnce) { Expiry = TimeSpan.FromSeconds(30) }, CancellationToken.None);

        Assert.Equal("stop-pump-2", (await gateway.ReadOneAsync(Deadline)).Text());
    }

    [Fact]
    public async Task SessionExpiry_ClientAwayLongerThanItsSessionExpiry_SessionAndQueueAreGone()
    {
        var options = Broker.ClientOptions($"short-{_id}", cleanSession: false);
        options.SessionExpiry = TimeSpan.FromSeconds(1);
        await using (var first = await ConnectAsync(options))
        {
            await first.SubscribeOneAsync($"test/{_id}/q");
            await first.DisconnectAsync(CancellationToken.None);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using (var publisher = await ConnectAsync(Broker.ClientOptions($"pub-{_id}")))
            await publisher.PublishAsync(new MqttApplicationMessage($"test/{_id}/q", "queued?"u8.ToArray(), MqttQualityOfService.AtLeastOnce), CancellationToken.None);

        var sessions = new List<MqttConnectionEvent>();
        var client = new ReconnectingMqttClient(options, new TestLogger(output, options.ClientId));
        await using var _ = client;
        client.ConnectionStateChanged += sessions.Add;
        await client.ConnectAsync(CancellationToken.None);

        Assert.False(Assert.Single(sessions).SessionPresent);
        await client.AssertNoMessageAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task ReceiveMaximum_ManualAckNotGiven_BrokerStopsAtTheWindowAndResumesAfterAcks()
    {
        const int window = 10;
        var options = Broker.ClientOptions($"rm-{_id}", cleanSession: false);
        options.ManualAck = true;
        options.InboundCapacity = window;
        options.ReceiveMaximum = window;
        await using var subscriber = await ConnectAsync(options);
        await subscriber.SubscribeOneAsync($"test/{_id}/rm");
        await using var publisher = await ConnectAsync(Broker.ClientOptions($"rmpub-{_id}"));
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => publisher.PublishAsync(new MqttApplicationMessage($"test/{_id}/rm", Encoding.UTF8.GetBytes($"{i}"), MqttQualityOfService.AtLeastOnce), CancellationToken.None)));

        var first = await subscriber.ReadManyAsync(window, Deadline);
        await subscriber.AssertNoMessageAsync(TimeSpan.FromSeconds(1)); // the broker holds the other 90 until acks come

        await subscriber.AckAsync(first, CancellationToken.None);
        var received = new List<MqttReceivedMessage>(first);
        while (received.Count < 100)
        {
            var batch = await subscriber.ReadManyAsync(window, Deadline);
            await subscriber.AckAsync(batch, CancellationToken.None);
            received.AddRange(batch);
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"{i}"), received.Select(m => m.Text()));
    }

    [Fact]
    public async Task PublishAsync_BrokerDownThenBack_WaitsAndIsDelivered()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var subscriberOptions = broker.ClientOptions($"sub-{_id}", cleanSession: false);
        await using var subscriber = await ConnectAsync(subscriberOptions);
        await subscriber.SubscribeOneAsync($"test/{_id}/outage");
        var publisherOptions = broker.ClientOptions($"pub-{_id}", cleanSession: false);
        publisherOptions.ReconnectDelay = TimeSpan.FromMilliseconds(100);
        publisherOptions.MaxReconnectDelay = TimeSpan.FromMilliseconds(500);
        await using var publisher = await ConnectAsync(publisherOptions);

        await broker.StopAsync();
        await Poll.UntilAsync(() => !publisher.IsConnected, "the publisher noticed the broker is gone");
        var publishing = publisher.PublishAsync(new MqttApplicationMessage($"test/{_id}/outage", "during-outage"u8.ToArray(), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
        await Task.Delay(500);
        Assert.False(publishing.IsCompleted);

        await broker.RestartAsync();
        await publishing.WaitAsync(Deadline);

        Assert.Equal("during-outage", (await subscriber.ReadOneAsync(Deadline)).Text());
        Assert.True(publisher.Counters.Connects >= 2);
    }

    private async Task<ReconnectingMqttClient> ConnectAsync(MqttClientOptions options)
    {
        var client = new ReconnectingMqttClient(options, new TestLogger(output, options.ClientId));
        using var deadline = new CancellationTokenSource(Deadline);
        await client.ConnectAsync(deadline.Token);
        return client;
    }
}
