using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Packets;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>Session behaviour against a scripted broker: handshake, resend with DUP, in-flight window, options.</summary>
public sealed partial class MqttClientTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly TestLogger _logger = new(output);

    [Fact]
    public async Task ConnectAsync_Options_SendsConnectWithEveryField()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.Username = "user";
        options.Password = "secret";
        options.KeepAlive = TimeSpan.FromSeconds(45);
        options.Will = new MqttApplicationMessage("status/gw", "offline"u8.ToArray(), MqttQualityOfService.AtLeastOnce, Retain: true);
        await using var client = new MqttClient(options, _logger);

        var connecting = client.ConnectAsync(CancellationToken.None);
        var (_, connect) = await broker.AcceptClientAsync();
        await connecting;

        Assert.Equal(("fake-client", false, (ushort)45, "user"), (connect.ClientId, connect.CleanSession, connect.KeepAliveSeconds, connect.Username));
        Assert.Equal("secret", Encoding.UTF8.GetString(connect.Password!.Value.Span));
        Assert.Equal(("status/gw", MqttQualityOfService.AtLeastOnce, true, "offline"), (connect.Will!.Topic, connect.Will.QualityOfService, connect.Will.Retain, Encoding.UTF8.GetString(connect.Will.Payload.Span)));
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task ConnectAsync_ConnAckRefused_ThrowsWithReturnCodeAndClearMessage()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker), _logger);

        var connecting = client.ConnectAsync(CancellationToken.None);
        await broker.AcceptClientAsync(returnCode: 4);
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => connecting);

        Assert.Equal(MqttConnectReturnCode.BadUsernameOrPassword, ex.ReturnCode);
        Assert.Contains("refused the connection: bad user name or password (CONNACK 4)", ex.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task ConnectAsync_NoConnAck_ThrowsTransportFailureAfterConnectTimeout()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(300);
        await using var client = new MqttClient(options, _logger);

        var watch = Stopwatch.StartNew();
        var connecting = client.ConnectAsync(CancellationToken.None);
        await using var silent = await broker.AcceptAsync();
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => connecting);

        Assert.Equal(MqttConnectReturnCode.TransportFailure, ex.ReturnCode);
        Assert.Contains("timed out after 0.3 s waiting for CONNACK", ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsTransportFailure()
    {
        var port = Irrigation.Testing.FreePort.Next();
        await using var client = new MqttClient(new MqttClientOptions { Port = port, ClientId = "nobody" }, _logger);

        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(CancellationToken.None));

        Assert.Equal(MqttConnectReturnCode.TransportFailure, ex.ReturnCode);
        Assert.Contains($"could not connect to 127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishAsync_ConnectionDropsBeforePubAck_ResubscribesThenResendsSameIdsWithDupInOrder()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker), _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (first, _) = await broker.AcceptClientAsync();
        await connecting;

        var subscribing = client.SubscribeAsync([new MqttTopicFilter("cmd/#")], CancellationToken.None);
        var subscribe = Assert.IsType<MqttSubscribePacket>(await first.ReadAsync());
        await first.SendAsync(new MqttSubAckPacket(subscribe.PacketId, [1]));
        Assert.Equal(1, Assert.Single(await subscribing).ReturnCode);

        var publishes = Enumerable.Range(0, 3).Select(i => client.PublishAsync(Message($"m{i}", MqttQualityOfService.AtLeastOnce), CancellationToken.None)).ToArray();
        var sent = new List<MqttPublishPacket>();
        for (var i = 0; i < 3; i++)
            sent.Add(Assert.IsType<MqttPublishPacket>(await first.ReadAsync()));
        Assert.Equal(["m0", "m1", "m2"], sent.Select(p => Encoding.UTF8.GetString(p.Payload.Span)));
        Assert.All(sent, p => Assert.False(p.Duplicate));
        first.Close();

        var (second, _) = await broker.AcceptClientAsync(sessionPresent: true);
        var resubscribe = Assert.IsType<MqttSubscribePacket>(await second.ReadAsync());
        Assert.Equal("cmd/#", Assert.Single(resubscribe.Filters).Filter);
        var resent = new List<MqttPublishPacket>();
        for (var i = 0; i < 3; i++)
            resent.Add(Assert.IsType<MqttPublishPacket>(await second.ReadAsync()));

        Assert.Equal(sent.Select(p => p.PacketId), resent.Select(p => p.PacketId));
        Assert.Equal(["m0", "m1", "m2"], resent.Select(p => Encoding.UTF8.GetString(p.Payload.Span)));
        Assert.All(resent, p => Assert.True(p.Duplicate));
        Assert.All(publishes, p => Assert.False(p.IsCompleted));

        foreach (var packet in resent)
            await second.SendAsync(new MqttPubAckPacket(packet.PacketId));
        await Task.WhenAll(publishes).WaitAsync(Deadline);
        Assert.Equal((3, 3, 3, 2, 1), (client.Counters.Published, client.Counters.PublishAcked, client.Counters.Resent, client.Counters.Connects, client.Counters.ConnectionLosses));
    }

    [Fact]
    public async Task PublishAsync_MaxInflightReached_SendsMoreOnlyAfterPubAck()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.MaxInflight = 2;
        await using var client = new MqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (connection, _) = await broker.AcceptClientAsync();
        await connecting;

        var publishes = Enumerable.Range(0, 4).Select(i => client.PublishAsync(Message($"m{i}", MqttQualityOfService.AtLeastOnce), CancellationToken.None)).ToArray();
        var a = Assert.IsType<MqttPublishPacket>(await connection.ReadAsync());
        var b = Assert.IsType<MqttPublishPacket>(await connection.ReadAsync());
        await connection.AssertSilentAsync(TimeSpan.FromMilliseconds(300));

        await connection.SendAsync(new MqttPubAckPacket(a.PacketId));
        var c = Assert.IsType<MqttPublishPacket>(await connection.ReadAsync());
        await publishes[0].WaitAsync(Deadline);
        Assert.Equal("m2", Encoding.UTF8.GetString(c.Payload.Span));
        Assert.NotEqual(b.PacketId, c.PacketId);
        await connection.AssertSilentAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task PublishAsync_QoS0_CompletesWhenWrittenWithoutPacketId()
    {
        await using var broker = new FakeBroker();
        await using var client = new MqttClient(Options(broker), _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (connection, _) = await broker.AcceptClientAsync();
        await connecting;

        await client.PublishAsync(new MqttApplicationMessage("t/0", "x"u8.ToArray(), Retain: true), CancellationToken.None).WaitAsync(Deadline);
        var publish = Assert.IsType<MqttPublishPacket>(await connection.ReadAsync());

        Assert.Equal(("t/0", MqttQualityOfService.AtMostOnce, true, (ushort)0), (publish.Topic, publish.QualityOfService, publish.Retain, publish.PacketId));
    }

    [Fact]
    public async Task PublishAsync_ExactlyOnce_ThrowsNotSupportedWithReason()
    {
        await using var client = new MqttClient(new MqttClientOptions { ClientId = "q2" }, _logger);
        var ex = await Assert.ThrowsAsync<NotSupportedException>(() => client.PublishAsync(Message("x", MqttQualityOfService.ExactlyOnce), CancellationToken.None));
        Assert.Contains("QoS 2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("port", "Port")]
    [InlineData("client-id", "ClientId")]
    [InlineData("password-without-user", "Password")]
    [InlineData("keep-alive", "KeepAlive")]
    [InlineData("will-wildcard", "Will")]
    [InlineData("inflight", "MaxInflight")]
    public void Constructor_InvalidOptions_ThrowsNamingTheSetting(string problem, string setting)
    {
        var options = new MqttClientOptions { ClientId = "ok" };
        switch (problem)
        {
            case "port": options.Port = 0; break;
            case "client-id": options.ClientId = ""; break;
            case "password-without-user": options.Password = "p"; break;
            case "keep-alive": options.KeepAlive = TimeSpan.FromSeconds(70_000); break;
            case "will-wildcard": options.Will = new MqttApplicationMessage("a/#", Array.Empty<byte>()); break;
            case "inflight": options.MaxInflight = 0; break;
        }

        var ex = Assert.Throws<ArgumentException>(() => new MqttClient(options));
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribeAsync_NoSubAck_ThrowsAfterRequestTimeout()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        await using var client = new MqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (connection, _) = await broker.AcceptClientAsync();
        await connecting;

        var ex = await Assert.ThrowsAsync<MqttClientException>(() => client.SubscribeAsync([new MqttTopicFilter("a")], CancellationToken.None));

        Assert.Contains("No SUBACK", ex.Message, StringComparison.Ordinal);
        Assert.IsType<MqttSubscribePacket>(await connection.ReadAsync());
    }

    [Fact]
    public async Task DisconnectAsync_Connected_SendsDisconnectCompletesMessagesAndRefusesPublishes()
    {
        await using var broker = new FakeBroker();
        var events = new ConcurrentQueue<MqttConnectionEvent>();
        await using var client = new MqttClient(Options(broker), _logger);
        client.ConnectionStateChanged += events.Enqueue;
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (connection, _) = await broker.AcceptClientAsync();
        await connecting;

        await client.DisconnectAsync(CancellationToken.None);

        Assert.IsType<MqttDisconnectPacket>(await connection.ReadAsync());
        await client.Messages.Completion.WaitAsync(Deadline);
        await Assert.ThrowsAsync<MqttClientException>(() => client.PublishAsync(Message("late", MqttQualityOfService.AtMostOnce), CancellationToken.None));
        Assert.Equal([MqttConnectionState.Connected, MqttConnectionState.Disconnected], events.Select(e => e.State));
        Assert.Equal(0, client.Counters.ConnectionLosses);
        await client.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task ConnectionLost_AutoReconnectOff_FailsPendingPublishesAndCompletesMessagesWithError()
    {
        await using var broker = new FakeBroker();
        var options = Options(broker);
        options.AutoReconnect = false;
        await using var client = new MqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var (connection, _) = await broker.AcceptClientAsync();
        await connecting;

        var publish = client.PublishAsync(Message("x", MqttQualityOfService.AtLeastOnce), CancellationToken.None);
        Assert.IsType<MqttPublishPacket>(await connection.ReadAsync());
        connection.Close();

        var ex = await Assert.ThrowsAsync<MqttClientException>(() => publish.WaitAsync(Deadline));
        Assert.Contains("lost", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MqttClientException>(() => client.Messages.Completion.WaitAsync(Deadline));
    }

    private static MqttApplicationMessage Message(string payload, MqttQualityOfService qos) =>
        new("data/test", Encoding.UTF8.GetBytes(payload), qos);

    private static MqttClientOptions Options(FakeBroker broker) => new()
    {
        Host = "127.0.0.1",
        Port = broker.Port,
        ClientId = "fake-client",
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
    };
}
