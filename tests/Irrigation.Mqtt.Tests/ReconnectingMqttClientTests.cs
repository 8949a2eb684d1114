using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Tests.TestSupport;
using Xunit.Abstractions;

namespace Irrigation.Mqtt.Tests;

/// <summary>
/// What our layer over MQTTnet adds, against a broker that speaks raw bytes: the CONNECT our options produce, refusals
/// and transport failures as clear errors, hostile bytes that only cost a reconnect, acks never sent on a newer
/// connection, and back-pressure that stops acknowledging when the application does not read.
/// </summary>
public sealed class ReconnectingMqttClientTests(ITestOutputHelper output)
{
    // CONNACK, MQTT 5 (§3.2): flags, reason code, property length 0.
    private const string ConnAckAccepted = "20 03 00 00 00";
    private const string ConnAckSessionPresent = "20 03 01 00 00";

    private readonly TestLogger _logger = new(output);

    [Theory]
    [InlineData("port", "Port")]
    [InlineData("client-id", "ClientId")]
    [InlineData("password-without-user", "Password")]
    [InlineData("keep-alive", "KeepAlive")]
    [InlineData("will-wildcard", "Will")]
    [InlineData("inflight", "MaxInflight")]
    [InlineData("receive-maximum", "ReceiveMaximum")]
    [InlineData("inbound", "InboundCapacity")]
    [InlineData("session-expiry", "SessionExpiry")]
    [InlineData("protocol", "Protocol")]
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
            case "receive-maximum": options.ReceiveMaximum = 70_000; break;
            case "inbound": options.InboundCapacity = 0; break;
            case "session-expiry": options.SessionExpiry = TimeSpan.FromSeconds(-1); break;
            case "protocol": options.Protocol = (MqttProtocol)7; break;
        }

        var ex = Assert.Throws<ArgumentException>(() => new ReconnectingMqttClient(options));
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_Mqtt311_SendsTheSpecConnectBytes()
    {
        await using var broker = new RawBroker();
        var options = Options(broker);
        options.Protocol = MqttProtocol.V311;
        await using var client = new ReconnectingMqttClient(options, _logger);

        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await broker.AcceptAsync();
        var connect = await connection.ReadPacketAsync();
        await connection.SendAsync("20 02 00 00");
        await connecting;

        // §3.1: 10 | remaining 22 | "MQTT" | level 4 | flags 00 (no clean session) | keep alive 30 | client id "raw-client"
        Assert.Equal("10 16 00 04 4D 51 54 54 04 00 00 1E 00 0A 72 61 77 2D 63 6C 69 65 6E 74", Hex.Format(connect));
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task ConnectAsync_Mqtt5_SendsSessionExpiryReceiveMaximumPacketSizeAndWill()
    {
        await using var broker = new RawBroker();
        var options = Options(broker);
        options.Username = "gw";
        options.Password = "secret";
        options.KeepAlive = TimeSpan.FromSeconds(45);
        options.ReceiveMaximum = 1000;
        options.SessionExpiry = TimeSpan.FromDays(14);
        options.Will = new MqttApplicationMessage("status/gw", "offline"u8.ToArray(), MqttQualityOfService.AtLeastOnce, Retain: true);
        await using var client = new ReconnectingMqttClient(options, _logger);

        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await broker.AcceptAsync();
        var connect = Hex.Format(await connection.ReadPacketAsync());
        await connection.SendAsync(ConnAckAccepted);
        await connecting;

        // §3.1.2: "MQTT", level 5, flags EC = user name, password, will retain, will QoS 1, will; keep alive 45.
        Assert.StartsWith("10", connect, StringComparison.Ordinal);
        Assert.Contains("00 04 4D 51 54 54 05 EC 00 2D", connect, StringComparison.Ordinal);
        Assert.Contains("11 00 12 75 00", connect, StringComparison.Ordinal); // Session Expiry Interval 1,209,600 s (§3.1.2.11.2)
        Assert.Contains("21 03 E8", connect, StringComparison.Ordinal); // Receive Maximum 1000 (§3.1.2.11.3)
        Assert.Contains("27 00 10 00 00", connect, StringComparison.Ordinal); // Maximum Packet Size 1 MiB (§3.1.2.11.4)
        Assert.Contains(Hex.Format("status/gw"u8), connect, StringComparison.Ordinal);
        Assert.EndsWith(Hex.Format("\0\u0002gw\0\u0006secret"u8), connect, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MqttProtocol.V500, "20 03 00 86 00")] // MQTT 5 reason code 0x86
    [InlineData(MqttProtocol.V311, "20 02 00 04")] // MQTT 3.1.1 return code 4
    public async Task ConnectAsync_BadCredentials_ThrowsBadUsernameOrPasswordWithClearMessage(MqttProtocol protocol, string connAck)
    {
        await using var broker = new RawBroker();
        var options = Options(broker);
        options.Protocol = protocol;
        await using var client = new ReconnectingMqttClient(options, _logger);

        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await broker.AcceptAsync();
        await connection.ReadPacketAsync();
        await connection.SendAsync(connAck);
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => connecting);

        Assert.Equal(MqttConnectReturnCode.BadUsernameOrPassword, ex.ReturnCode);
        Assert.Contains("refused the connection of \"raw-client\": bad user name or password", ex.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task ConnectAsync_NoConnAck_ThrowsTransportFailureAfterConnectTimeout()
    {
        await using var broker = new RawBroker();
        var options = Options(broker);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(500);
        await using var client = new ReconnectingMqttClient(options, _logger);

        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await broker.AcceptAsync();
        await connection.ReadPacketAsync();
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => connecting.WaitAsync(TimeSpan.FromSeconds(10)));
        output.WriteLine(ex.Message);

        Assert.Equal(MqttConnectReturnCode.TransportFailure, ex.ReturnCode);
        Assert.Contains("no CONNACK within 0.5 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsTransportFailure()
    {
        int port;
        await using (var broker = new RawBroker())
            port = broker.Port;
        await using var client = new ReconnectingMqttClient(new MqttClientOptions { Port = port, ClientId = "raw-client" }, _logger);

        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync(CancellationToken.None));

        Assert.Equal(MqttConnectReturnCode.TransportFailure, ex.ReturnCode);
        Assert.Contains($"Could not connect to mqtt://127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00 00")] // packet type 0 is reserved (§2.1.2)
    [InlineData("30 FF FF FF FF 7F")] // a remaining length of five bytes (§2.2.3)
    [InlineData("32 03 00 05 61")] // a QoS 1 PUBLISH cut short: topic length 5, one byte of it
    public async Task BrokerSendsForbiddenBytes_ConnectionLostCountedThenReconnected(string garbage)
    {
        await using var broker = new RawBroker();
        var (client, first) = await ConnectedAsync(broker, Options(broker));
        await using var _ = client;

        await first.SendAsync(garbage);
        if (garbage.StartsWith("32", StringComparison.Ordinal))
            first.Close(); // the rest never comes

        var second = await broker.AcceptAsync();
        var reconnect = await second.ReadPacketAsync();
        await second.SendAsync(ConnAckSessionPresent);

        Assert.Equal(0x10, reconnect[0]);
        await Poll.UntilAsync(() => client.IsConnected, "the client is connected again");
        Assert.Equal(1, client.Counters.ConnectionLosses);
        Assert.Equal(2, client.Counters.Connects);
    }

    [Fact]
    public async Task ManualAck_AckFromAnOlderConnection_IsNeverSentOnTheNewOne()
    {
        await using var broker = new RawBroker();
        var options = Options(broker);
        options.ManualAck = true;
        var (client, first) = await ConnectedAsync(broker, options);
        await using var _ = client;

        // PUBLISH QoS 1 (§3.3): topic "t", packet id 7, no properties, payload "a".
        await first.SendAsync("32 07 00 01 74 00 07 00 61");
        var old = await client.ReadOneAsync(TimeSpan.FromSeconds(10));
        first.Close();

        var second = await broker.AcceptAsync();
        await second.ReadPacketAsync();
        await second.SendAsync(ConnAckSessionPresent);
        await second.SendAsync("32 07 00 01 74 00 09 00 62"); // packet id 9, payload "b"
        var current = await client.ReadOneAsync(TimeSpan.FromSeconds(10));

        await old.AckAsync(); // packet id 7 belongs to the lost connection: acking it here could ack another message
        await current.AckAsync();

        var ack = Hex.Format(await second.ReadPacketAsync());
        Assert.StartsWith("40 0", ack, StringComparison.Ordinal); // PUBACK, remaining length 2 or 3 (§3.4)
        Assert.Contains("00 09", ack, StringComparison.Ordinal);
        Assert.Equal(("a", "b"), (old.Text(), current.Text()));
        Assert.Equal(1, client.Counters.Acked);
    }

    [Fact]
    public async Task Messages_ApplicationNotReading_NoMoreAcksPastCapacityThenResumes()
    {
        await using var broker = new RawBroker();
        var options = Options(broker);
        options.InboundCapacity = 2;
        options.ReceiveMaximum = 2;
        await using var client = new ReconnectingMqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await broker.AcceptAsync();
        Assert.Contains("21 00 02", Hex.Format(await connection.ReadPacketAsync()), StringComparison.Ordinal); // Receive Maximum 2
        await connection.SendAsync(ConnAckAccepted);
        await connecting;

        for (var id = 1; id <= 5; id++)
            await connection.SendAsync($"32 07 00 01 74 00 {id:X2} 00 {0x30 + id:X2}");

        // The two that fit are acknowledged; the third waits in the handler until the application reads.
        var acked = new List<string> { Hex.Format(await connection.ReadPacketAsync()), Hex.Format(await connection.ReadPacketAsync()) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.ReadPacketAsync(TimeSpan.FromMilliseconds(700)));

        var received = await client.ReadManyAsync(5, TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
            acked.Add(Hex.Format(await connection.ReadPacketAsync()));

        Assert.Equal(["1", "2", "3", "4", "5"], received.Select(m => m.Text()));
        Assert.Equal(["00 01", "00 02", "00 03", "00 04", "00 05"], acked.Select(a => a.Substring(6, 5)));
    }

    [Fact]
    public async Task DisconnectAsync_Connected_SendsDisconnectCompletesMessagesAndRefusesPublishes()
    {
        await using var broker = new RawBroker();
        var (client, connection) = await ConnectedAsync(broker, Options(broker));
        await using var _ = client;

        var disconnecting = client.DisconnectAsync(CancellationToken.None);
        var ping = await connection.ReadPacketAsync();
        await connection.SendAsync("D0 00"); // PINGRESP: everything sent before the PINGREQ has been processed
        var disconnect = await connection.ReadPacketAsync();
        await disconnecting;

        Assert.Equal("C0 00", Hex.Format(ping));
        Assert.Equal(0xE0, disconnect[0]); // DISCONNECT, normal disconnection: the broker discards the Will (§3.14.4)
        Assert.True(client.Messages.Completion.IsCompleted);
        await Assert.ThrowsAsync<MqttClientException>(() => client.PublishAsync(new MqttApplicationMessage("t", "x"u8.ToArray()), CancellationToken.None));
    }

    [Fact]
    public async Task ConnectionLost_AutoReconnectOff_CompletesMessagesWithErrorAndRefusesPublishes()
    {
        await using var broker = new RawBroker();
        var options = Options(broker);
        options.AutoReconnect = false;
        var (client, connection) = await ConnectedAsync(broker, options);
        await using var _ = client;

        connection.Close();

        await Assert.ThrowsAsync<MqttClientException>(() => client.Messages.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<MqttClientException>(() => client.PublishAsync(new MqttApplicationMessage("t", "x"u8.ToArray(), MqttQualityOfService.AtLeastOnce), CancellationToken.None));
    }

    [Theory]
    [InlineData("sport/tennis#", false)]
    [InlineData("sport/tennis/#/ranking", false)]
    [InlineData("sport+", false)]
    [InlineData("", false)]
    [InlineData("#", true)]
    [InlineData("+/tennis/#", true)]
    [InlineData("/", true)]
    [InlineData("$share/g/a/#", true)]
    public void IsValidFilter_SpecRules(string filter, bool valid) =>
        Assert.Equal(valid, ReconnectingMqttClient.IsValidFilter(filter)); // §4.7.1

    /// <summary>A client connected to the raw broker: CONNECT read, CONNACK (MQTT 5, accepted) sent.</summary>
    private async Task<(ReconnectingMqttClient Client, RawConnection Connection)> ConnectedAsync(RawBroker broker, MqttClientOptions options)
    {
        var client = new ReconnectingMqttClient(options, _logger);
        var connecting = client.ConnectAsync(CancellationToken.None);
        var connection = await broker.AcceptAsync();
        await connection.ReadPacketAsync();
        await connection.SendAsync(ConnAckAccepted);
        await connecting;
        return (client, connection);
    }

    private static MqttClientOptions Options(RawBroker broker) => new()
    {
        Port = broker.Port,
        ClientId = "raw-client",
        ReconnectDelay = TimeSpan.FromMilliseconds(100),
        RequestTimeout = TimeSpan.FromMilliseconds(300), // the raw broker answers no PINGREQ before DISCONNECT
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
    };
}
