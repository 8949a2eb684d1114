using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.Peers;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>Our client with other clients through mosquitto: paho-mqtt (Python) and a killed process's Last Will.</summary>
public sealed class PahoInteropTests(MosquittoFixture fixture, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly string _id = Guid.NewGuid().ToString("N")[..8];

    private MosquittoBroker Broker => fixture.Broker;

    [Fact]
    public async Task PahoPublishesQoS1_OurSubscriber_ReceivesEveryMessage()
    {
        await DebianMqttPeers.RequirePahoAsync();
        await using var client = await ConnectAsync($"sub-{_id}");
        await client.SubscribeOneAsync($"test/{_id}/paho");

        await using var paho = ManagedProcess.Start(DebianMqttPeers.Python, [DebianMqttPeers.Script("paho_peer.py"), "publish", $"{Broker.Port}", $"test/{_id}/paho", "100"]);
        Assert.True(await paho.WaitForExitAsync(Deadline) == 0, $"paho publisher failed:\n{paho.StandardOutput}\n{paho.StandardError}");

        var messages = await client.ReadManyAsync(100, Deadline);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"paho-{i}").Order(), messages.Select(m => m.Text()).Order());
        Assert.All(messages, m => Assert.Equal(MqttQualityOfService.AtLeastOnce, m.QualityOfService));
    }

    [Fact]
    public async Task PublishAsyncQoS1_PahoSubscriber_ReceivesEveryMessage()
    {
        await DebianMqttPeers.RequirePahoAsync();
        await using var paho = ManagedProcess.Start(DebianMqttPeers.Python, [DebianMqttPeers.Script("paho_peer.py"), "subscribe", $"{Broker.Port}", $"test/{_id}/ours", "50"]);
        await paho.WaitForOutputLineAsync(l => l.StartsWith("SUBSCRIBED", StringComparison.Ordinal), "SUBSCRIBED", Deadline);
        await using var client = await ConnectAsync($"pub-{_id}");

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.PublishAsync(new MqttApplicationMessage($"test/{_id}/ours", Encoding.UTF8.GetBytes($"ours-{i}"), MqttQualityOfService.AtLeastOnce), CancellationToken.None)));

        Assert.True(await paho.WaitForExitAsync(Deadline) == 0, $"paho subscriber failed:\n{paho.StandardOutput}\n{paho.StandardError}");
        var received = paho.StandardOutput.Split('\n').Where(l => l.StartsWith("MSG ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"MSG 1 0 ours-{i}").Order(), received.Order());
        Assert.Equal(50, client.Counters.PublishAcked);
    }

    [Fact]
    public async Task LastWill_PeerProcessKilled_SubscriberReceivesTheWill()
    {
        await using var subscriber = await ConnectAsync($"will-watch-{_id}");
        await subscriber.SubscribeOneAsync($"test/{_id}/will");

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        await using var peer = ManagedProcess.Start(dotnet, [DebianMqttPeers.TestPeerDll(), $"{Broker.Port}", $"peer-{_id}", $"test/{_id}/will", $"gateway-{_id}-gone"]);
        await peer.WaitForOutputLineAsync(l => l == "CONNECTED", "CONNECTED", Deadline);
        await subscriber.AssertNoMessageAsync(TimeSpan.FromMilliseconds(200));

        peer.KillTree(); // SIGKILL: no DISCONNECT, so the broker publishes the Will

        var will = await subscriber.ReadOneAsync(Deadline);
        Assert.Equal(($"test/{_id}/will", $"gateway-{_id}-gone", MqttQualityOfService.AtLeastOnce), (will.Topic, will.Text(), will.QualityOfService));
    }

    private async Task<ReconnectingMqttClient> ConnectAsync(string clientId)
    {
        var options = Broker.ClientOptions(clientId);
        var client = new ReconnectingMqttClient(options, new TestLogger(output, clientId));
        using var deadline = new CancellationTokenSource(Deadline);
        await client.ConnectAsync(deadline.Token);
        return client;
    }
}
