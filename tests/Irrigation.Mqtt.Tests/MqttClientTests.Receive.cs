using System.Collections.Concurrent;
using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Packets;
using Irrigation.Mqtt.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace Irrigation.Mqtt.Tests;

/// <summary>The receive side against a scripted broker: protocol violations, keep-alive, acks, QoS 2, back-pressure.</summary>
public sealed partial class MqttClientTests
{
    [Theory]
    [InlineData("F0 00")]                   // reserved packet type 15
    [InlineData("30 FF FF FF 7F")]          // 268 MB announced: over MaxPacketSize, rejected from the header
    [InlineData("36 05 00 01 61 00 01")]    // PUBLISH QoS 3
    [InlineData("30 80 80 80 80 01")]       // 5-byte remaining length
    [InlineData("40 03 00 01 00")]          // PUBACK of 3 bytes
    [InlineData("20 02 00 00")]             // a second CONNACK
    [InlineData("50 02 00 01")]             // PUBREC although we never publish QoS 2
    [InlineData("A2 05 00 01 00 01 61")]    // UNSUBSCRIBE, a client-to-server packet
    public async Task ReceiveLoop_BrokerSendsForbiddenBytes_CountsOneProtocolErrorWarnsOnceAndReconnects(string garbage)
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker), _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (first, _) = await broker.AcceptClientAsync();
        await connecting;

        await first.SendAsync(Hex.Parse(garbage));
        var (second, _) = await broker.AcceptClientAsync();
        await Poll.UntilAsync(() => client.IsConnected && client.Counters.Connects == 2, "the client reconnected");

        Assert.Equal(1, client.Counters.ProtocolErrors);
        Assert.Equal(1, client.Counters.ConnectionLosses);
        var warning = Assert.Single(_logger.AtLeast(LogLevel.Warning));
        Assert.Contains("protocol violation by the broker", warning.Message, StringComparison.Ordinal);

        // The new connection works.
        var publish = client.PublishAsync(Message("after", MqttQualityOfService.AtLeastOnce), CancellationToken.None);
        var packet = Assert.IsType<MqttPublishPacket>(await second.ReadAsync());
        await second.SendAsync(new MqttPubAckPacket(packet.PacketId));
        await publish.WaitAsync(Deadline);
    }

    [Fact]
    public async Task KeepAlive_BrokerAnswersPingsThenGoesSilent_StaysConnectedThenReconnects()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.KeepAlive = TimeSpan.FromSeconds(1);
        var events = new ConcurrentQueue<MqttConnectionEvent>();
        await using var client = new MqttClient(options, _logger);
        client.ConnectionStateChanged += events.Enqueue;
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (first, connect) = await broker.AcceptClientAsync();
        await connecting;
        Assert.Equal(1, connect.KeepAliveSeconds);

        for (var i = 0; i < 2; i++)
        {
            Assert.IsType<MqttPingReqPacket>(await first.ReadAsync(TimeSpan.FromSeconds(3)));
            await first.SendAsync(MqttPingRespPacket.Instance);
        }

        Assert.Equal(0, client.Counters.ConnectionLosses);
        Assert.IsType<MqttPingReqPacket>(await first.ReadAsync(TimeSpan.FromSeconds(3)));

        await broker.AcceptClientAsync();
        await Poll.UntilAsync(() => client.Counters.Connects == 2, "the client reconnected");
        var lost = Assert.Single(events, e => e.State == MqttConnectionState.Disconnected);
        Assert.Contains("no PINGRESP", lost.Reason, StringComparison.Ordinal);
        Assert.Equal(0, client.Counters.ProtocolErrors);
    }

    [Fact]
    public async Task ManualAck_AckFromAnOlderConnection_IsDroppedAndTheRedeliveryIsAcked()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.ManualAck = true;
        await using var client = new MqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (first, _) = await broker.AcceptClientAsync();
        await connecting;

        await first.SendAsync(new MqttPublishPacket("cmd/a", "1"u8.ToArray(), MqttQualityOfService.AtLeastOnce, PacketId: 5));
        var original = await client.Messages.ReadAsync().AsTask().WaitAsync(Deadline);
        await first.AssertSilentAsync(TimeSpan.FromMilliseconds(200)); // no automatic PUBACK
        first.Close();

        var (second, _) = await broker.AcceptClientAsync(sessionPresent: true);
        await Poll.UntilAsync(() => client.Counters.Connects == 2, "the client reconnected");
        await original.AckAsync();
        Assert.Equal(0, client.Counters.Acked);

        await second.SendAsync(new MqttPublishPacket("cmd/a", "1"u8.ToArray(), MqttQualityOfService.AtLeastOnce, Duplicate: true, PacketId: 5));
        var redelivered = await client.Messages.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.True(redelivered.Duplicate);
        Assert.Equal(original.ConnectionGeneration + 1, redelivered.ConnectionGeneration);
        await redelivered.AckAsync();

        Assert.Equal(5, Assert.IsType<MqttPubAckPacket>(await second.ReadAsync()).PacketId);
        Assert.Equal(1, client.Counters.Acked);
    }

    [Fact]
    public async Task ManualAck_Batch_PubAcksInOrder_SkipsQoS0AndDropsAnOlderConnectionsMessages()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.ManualAck = true;
        await using var client = new MqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (first, _) = await broker.AcceptClientAsync();
        await connecting;
        await first.SendAsync(new MqttPublishPacket("t", "old"u8.ToArray(), MqttQualityOfService.AtLeastOnce, PacketId: 1));
        var old = await client.Messages.ReadAsync().AsTask().WaitAsync(Deadline);
        first.Close();
        var (second, _) = await broker.AcceptClientAsync(sessionPresent: true);
        await Poll.UntilAsync(() => client.Counters.Connects == 2, "the client reconnected");

        ushort[] ids = [7, 300, 65535];
        foreach (var id in ids)
            await second.SendAsync(new MqttPublishPacket("t", "x"u8.ToArray(), MqttQualityOfService.AtLeastOnce, PacketId: id));
        await second.SendAsync(new MqttPublishPacket("t", "qos0"u8.ToArray()));
        var received = new List<MqttReceivedMessage> { old };
        for (var i = 0; i < 4; i++)
            received.Add(await client.Messages.ReadAsync().AsTask().WaitAsync(Deadline));

        await client.AckAsync(received, CancellationToken.None);

        foreach (var id in ids)
            Assert.Equal(id, Assert.IsType<MqttPubAckPacket>(await second.ReadAsync()).PacketId);
        await second.AssertSilentAsync(TimeSpan.FromMilliseconds(200)); // nothing for the QoS 0 message or the old connection's
        Assert.Equal(3, client.Counters.Acked);
    }

    [Fact]
    public async Task InboundQoS2_PublishResentBeforePubRel_DeliveredOnceAndCompleted()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker), _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (connection, _) = await broker.AcceptClientAsync();
        await connecting;

        var publish = new MqttPublishPacket("cmd/q2", "x"u8.ToArray(), MqttQualityOfService.ExactlyOnce, PacketId: 7);
        await connection.SendAsync(publish);
        Assert.Equal(7, Assert.IsType<MqttPubRecPacket>(await connection.ReadAsync()).PacketId);
        await connection.SendAsync(publish with { Duplicate = true });
        Assert.Equal(7, Assert.IsType<MqttPubRecPacket>(await connection.ReadAsync()).PacketId);
        await connection.SendAsync(new MqttPubRelPacket(7));
        Assert.Equal(7, Assert.IsType<MqttPubCompPacket>(await connection.ReadAsync()).PacketId);

        var message = await client.Messages.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal(MqttQualityOfService.ExactlyOnce, message.QualityOfService);
        Assert.False(client.Messages.TryRead(out _));
        Assert.Equal(1, client.Counters.Received);
    }

    [Fact]
    public async Task Messages_ApplicationNotReading_ReceiveLoopStopsAtCapacityAndResumes()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.InboundCapacity = 2;
        await using var client = new MqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (connection, _) = await broker.AcceptClientAsync();
        await connecting;

        for (ushort id = 1; id <= 20; id++)
            await connection.SendAsync(new MqttPublishPacket("data/x", Encoding.UTF8.GetBytes($"{id}"), MqttQualityOfService.AtLeastOnce, PacketId: id));

        for (var i = 0; i < 2; i++)
            Assert.IsType<MqttPubAckPacket>(await connection.ReadAsync());
        await connection.AssertSilentAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(2, client.Counters.Received);

        var payloads = new List<string>();
        for (var i = 0; i < 20; i++)
            payloads.Add(Encoding.UTF8.GetString((await client.Messages.ReadAsync().AsTask().WaitAsync(Deadline)).Payload.Span));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"{i}"), payloads);
        for (var i = 2; i < 20; i++)
            Assert.IsType<MqttPubAckPacket>(await connection.ReadAsync());
    }
}
