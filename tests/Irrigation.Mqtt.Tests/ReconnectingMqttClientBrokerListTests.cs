using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>
/// Several brokers (the nodes of a cluster), against raw-bytes brokers speaking MQTT 3.1.1 as NATS does: which broker
/// the client takes and in what order after losses, a QoS 1 PUBLISH without PUBACK taken as a lost connection and sent
/// again elsewhere, and a refused subscription retried until granted while the client reports itself not ready.
/// </summary>
public sealed class ReconnectingMqttClientBrokerListTests(ITestOutputHelper output)
{
    private const string ConnAckAccepted = "20 02 00 00"; // MQTT 3.1.1 §3.2: no session present, accepted
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(10);

    private readonly TestLogger _logger = new(output);

    [Fact]
    public async Task ConnectAsync_FirstBrokerDown_ConnectsToTheNextAndSaysWhich()
    {
        int deadPort;
        await using (var dead = new RawBroker())
            deadPort = dead.Port;
        await using var second = new RawBroker();
        await using var client = new ReconnectingMqttClient(Options($"127.0.0.1:{deadPort}", $"127.0.0.1:{second.Port}"), _logger);

        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await second.AcceptAsync();
        await connection.ReadPacketAsync();
        await connection.SendAsync(ConnAckAccepted);
        await connecting.WaitAsync(Step);

        Assert.Equal(new MqttBrokerEndpoint("127.0.0.1", second.Port), client.ConnectedBroker);
        Assert.Contains(_logger.Entries, e => e.Message.Contains($"MQTT mqtt://127.0.0.1:{second.Port} (broker 2 of 2)", StringComparison.Ordinal) && e.Message.Contains("connected over MQTT 3.1.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectAsync_NoBrokerAnswers_OneErrorNamingEach()
    {
        int a, b;
        await using (var first = new RawBroker())
        await using (var second = new RawBroker())
        {
            a = first.Port;
            b = second.Port;
        }

        await using var client = new ReconnectingMqttClient(Options($"127.0.0.1:{a}", $"127.0.0.1:{b}"), _logger);

        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(CancellationToken.None));

        Assert.Equal(MqttConnectReturnCode.TransportFailure, ex.ReturnCode);
        Assert.StartsWith("None of the 2 brokers accepted the connection: Could not connect to mqtt://127.0.0.1:" + a, ex.Message, StringComparison.Ordinal);
        Assert.Contains("; Could not connect to mqtt://127.0.0.1:" + b, ex.Message, StringComparison.Ordinal);
        Assert.Null(client.ConnectedBroker);
    }

    [Fact]
    public async Task ConnectionLost_ThreeBrokers_NextBrokerEachTimeThenTheFirstAgain()
    {
        await using var a = new RawBroker();
        await using var b = new RawBroker();
        await using var c = new RawBroker();
        var brokers = new[] { a, b, c };
        await using var client = new ReconnectingMqttClient(Options([.. brokers.Select(x => $"127.0.0.1:{x.Port}")]), _logger);
        var events = new List<MqttConnectionEvent>();
        client.ConnectionStateChanged += e =>
        {
            lock (events)
                events.Add(e);
        };

        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await AcceptConnectAsync(a);
        await connecting.WaitAsync(Step);
        var order = new List<int> { a.Port };
        foreach (var next in new[] { b, c, a })
        {
            connection.Close(); // the node is gone
            connection = await AcceptConnectAsync(next);
            await Poll.UntilAsync(() => client.ConnectedBroker?.Port == next.Port, $"the client is connected to {next.Port}");
            order.Add(client.ConnectedBroker!.Value.Port);
        }

        Assert.Equal([a.Port, b.Port, c.Port, a.Port], order);
        lock (events)
        {
            Assert.Equal(
                [(MqttConnectionState.Connected, a.Port), (MqttConnectionState.Disconnected, a.Port), (MqttConnectionState.Connected, b.Port), (MqttConnectionState.Disconnected, b.Port), (MqttConnectionState.Connected, c.Port), (MqttConnectionState.Disconnected, c.Port), (MqttConnectionState.Connected, a.Port)],
                events.Select(e => (e.State, e.Broker!.Value.Port)));
        }
    }

    [Fact]
    public async Task Publish_NoPubAckWithinRequestTimeout_ConnectionDroppedAndSentAgainOnTheNextBroker()
    {
        await using var a = new RawBroker();
        await using var b = new RawBroker();
        var options = Options($"127.0.0.1:{a.Port}", $"127.0.0.1:{b.Port}");
        options.RequestTimeout = TimeSpan.FromMilliseconds(800);
        await using var client = new ReconnectingMqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var first = await AcceptConnectAsync(a);
        await connecting.WaitAsync(Step);

        var publishing = client.PublishAsync(new MqttApplicationMessage("t", "x"u8.ToArray(), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
        var sent = await first.ReadPacketAsync();
        var started = DateTime.UtcNow;
        Assert.Equal("32 06 00 01 74 00 01 78", Hex.Format(sent)); // PUBLISH QoS 1, topic "t", packet id 1, payload "x" (§3.3)

        // The stream has no leader: nothing answers. The client gives the connection up itself.
        Assert.True(await first.ClosedByClientAsync(Step), "the client closed the silent connection");
        var closedAfter = DateTime.UtcNow - started;
        var second = await AcceptConnectAsync(b);
        var resent = await second.ReadPacketAsync();
        await second.SendAsync($"40 02 {Hex.Format(resent.AsSpan(5, 2).ToArray())}"); // PUBACK with the packet id it came with
        await publishing.WaitAsync(Step);

        output.WriteLine($"closed {closedAfter.TotalMilliseconds:0} ms after the PUBLISH");
        Assert.InRange(closedAfter, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(5));
        Assert.Equal(0x32, resent[0] & ~0x08); // PUBLISH QoS 1 (a new packet on a new connection: DUP is not required, §3.3.1.1)
        Assert.Equal("00 01 74 | 78", Hex.Format(resent.AsSpan(2, 3)) + " | " + Hex.Format(resent.AsSpan(7))); // same topic, same payload
        Assert.Equal((1, 1, 1), (client.Counters.PubAckTimeouts, client.Counters.PublishAcked, client.Counters.ConnectionLosses));
        Assert.Contains(_logger.Entries, e => e.Message.Contains("no PUBACK for a QoS 1 publish to t within 0.8 s: dropping the connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Subscribe_RefusedWith0x80_RetriedUntilGrantedAndNotReadyMeanwhile()
    {
        await using var broker = new RawBroker();
        await using var client = new ReconnectingMqttClient(Options($"127.0.0.1:{broker.Port}"), _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await AcceptConnectAsync(broker);
        await connecting.WaitAsync(Step);
        Assert.True(client.SubscriptionsGranted, "nothing to subscribe yet");

        var subscribing = client.SubscribeAsync([new MqttTopicFilter("irrigation/+/telemetry")], CancellationToken.None);
        var subscribe = await connection.ReadPacketAsync();
        await connection.SendAsync($"90 03 {PacketId(subscribe)} 80"); // SUBACK, failure (§3.9.3): what NATS answers during an election
        var refused = await subscribing.WaitAsync(Step);
        Assert.Equal(0x80, refused.Single().ReturnCode);
        Assert.False(client.SubscriptionsGranted);

        var retried = new List<byte[]>();
        for (var i = 0; i < 2; i++)
        {
            var again = await connection.ReadPacketAsync();
            retried.Add(again);
            await connection.SendAsync($"90 03 {PacketId(again)} {(i == 0 ? "80" : "01")}"); // refused once more, then granted QoS 1
        }

        await Poll.UntilAsync(() => client.SubscriptionsGranted, "the subscription is granted");
        Assert.All(retried, r => Assert.Equal(subscribe[4..], r[4..])); // the same filter and QoS each time
        Assert.Equal(2, client.Counters.SubscriptionsRefused);
        Assert.Contains(_logger.Entries, e => e.Message.Contains("subscription to irrigation/+/telemetry granted after 2 retries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resubscribe_RefusedAfterReconnect_RetriedUntilGranted()
    {
        await using var a = new RawBroker();
        await using var b = new RawBroker();
        await using var client = new ReconnectingMqttClient(Options($"127.0.0.1:{a.Port}", $"127.0.0.1:{b.Port}"), _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var first = await AcceptConnectAsync(a);
        await connecting.WaitAsync(Step);
        var subscribing = client.SubscribeAsync([new MqttTopicFilter("irrigation/st001/command")], CancellationToken.None);
        var subscribe = await first.ReadPacketAsync();
        await first.SendAsync($"90 03 {PacketId(subscribe)} 01");
        await subscribing.WaitAsync(Step);
        Assert.True(client.SubscriptionsGranted);

        first.Close();
        var second = await AcceptConnectAsync(b);
        var resubscribe = await second.ReadPacketAsync();
        await Poll.UntilAsync(() => client.IsConnected, "connected to the second broker");
        Assert.False(client.SubscriptionsGranted, "connected, but the resubscription is not granted yet");
        await second.SendAsync($"90 03 {PacketId(resubscribe)} 80");
        var retry = await second.ReadPacketAsync();
        Assert.False(client.SubscriptionsGranted);
        await second.SendAsync($"90 03 {PacketId(retry)} 01");

        await Poll.UntilAsync(() => client.SubscriptionsGranted, "the resubscription is granted");
        Assert.Equal(subscribe[4..], retry[4..]);
    }

    [Fact]
    public async Task ConnectAsync_Mqtt5ToA311OnlyBroker_RefusalSaysSetTheProtocol()
    {
        await using var broker = new RawBroker();
        var options = Options($"127.0.0.1:{broker.Port}");
        options.Protocol = MqttProtocol.V500;
        await using var client = new ReconnectingMqttClient(options, _logger);

        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await broker.AcceptAsync();
        await connection.ReadPacketAsync();
        await connection.SendAsync("20 02 00 01"); // what NATS 2.9 answers an MQTT 5 CONNECT: a 3.1.1 CONNACK, return code 1
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => connecting.WaitAsync(Step));

        Assert.Equal($"mqtt://127.0.0.1:{broker.Port} refused the connection of \"raw-client\": unacceptable protocol version (MQTT 3.1.1 return code 1: this broker does not speak MQTT 5; set the protocol to 3.1.1).", ex.Message);
    }

    [Theory]
    [InlineData(0x80, false)]
    [InlineData(0x87, false)] // not authorized: an ACL may be corrected
    [InlineData(0x97, false)] // quota exceeded
    [InlineData(0x8F, true)] // topic filter invalid
    [InlineData(0x9E, true)] // shared subscriptions not supported
    [InlineData(0xA2, true)] // wildcard subscriptions not supported
    public void IsPermanentRefusal_Mqtt5Codes(byte code, bool permanent) =>
        Assert.Equal(permanent, ReconnectingMqttClient.IsPermanentRefusal(code));

    private static string PacketId(byte[] packet) => Hex.Format(packet.AsSpan(2, 2).ToArray());

    private static async Task<RawConnection> AcceptConnectAsync(RawBroker broker)
    {
        var connection = await broker.AcceptAsync();
        var connect = await connection.ReadPacketAsync();
        Assert.Equal(0x10, connect[0]);
        await connection.SendAsync(ConnAckAccepted);
        return connection;
    }

    private static MqttClientOptions Options(params string[] brokers) => new()
    {
        Brokers = brokers,
        ClientId = "raw-client",
        Protocol = MqttProtocol.V311,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ReconnectDelay = TimeSpan.FromMilliseconds(100),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromSeconds(2),
    };
}
