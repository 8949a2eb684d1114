using Irrigation.Mqtt.Client;

namespace Irrigation.Mqtt.Tests;

/// <summary>Broker lists: what "host:port" accepts, and the validation message naming the entry.</summary>
public sealed class MqttClientOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1:21883", "127.0.0.1", 21883)]
    [InlineData("nats-2.example:1883", "nats-2.example", 1883)]
    [InlineData("[::1]:1883", "::1", 1883)]
    public void BrokerEndpointTryParse_Valid_HostAndPort(string text, string host, int port)
    {
        Assert.True(MqttBrokerEndpoint.TryParse(text, out var endpoint, out var reason), reason);
        Assert.Equal(new MqttBrokerEndpoint(host, port), endpoint);
        Assert.Equal(text, endpoint.ToString());
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("127.0.0.1", "\"127.0.0.1\" is not host:port")]
    [InlineData("127.0.0.1:", "\"127.0.0.1:\" is not host:port")]
    [InlineData(":1883", "\":1883\" is not host:port")]
    [InlineData("127.0.0.1:0", "\"127.0.0.1:0\": the port must be 1..65535")]
    [InlineData("127.0.0.1:65536", "\"127.0.0.1:65536\": the port must be 1..65535")]
    [InlineData("127.0.0.1:+5", "\"127.0.0.1:+5\": the port must be 1..65535")]
    [InlineData("::1:1883", "\"::1:1883\": write an IPv6 address in brackets, [::1]:1883")]
    [InlineData("my host:1883", "\"my host:1883\" has no valid host")]
    public void BrokerEndpointTryParse_Invalid_ReasonSaysWhy(string text, string expected)
    {
        Assert.False(MqttBrokerEndpoint.TryParse(text, out _, out var reason));
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void Endpoints_NoBrokers_HostAndPort()
    {
        var options = new MqttClientOptions { Host = "broker", Port = 8883 };
        Assert.Equal([new MqttBrokerEndpoint("broker", 8883)], options.Endpoints());
    }

    [Fact]
    public void Endpoints_Brokers_InTheirOrderAndHostPortUnused()
    {
        var options = new MqttClientOptions { Host = "", Port = 0, ClientId = "c", Brokers = ["127.0.0.1:21885", "127.0.0.1:21883", "127.0.0.1:21884"] };

        options.Validate();

        Assert.Equal([21885, 21883, 21884], options.Endpoints().Select(e => e.Port));
    }

    [Theory]
    [InlineData(new[] { "127.0.0.1:1883", "127.0.0.1" }, "Brokers[1] \"127.0.0.1\" is not host:port.")]
    [InlineData(new[] { "127.0.0.1:1883", "127.0.0.1:1884", "127.0.0.1:1883" }, "Brokers[2] 127.0.0.1:1883 is listed twice.")]
    [InlineData(new[] { "" }, "Brokers[0] is empty.")]
    public void Validate_BadBrokerEntry_ThrowsNamingTheEntry(string[] brokers, string expected)
    {
        var options = new MqttClientOptions { ClientId = "c", Brokers = brokers };

        var ex = Assert.Throws<ArgumentException>(() => new ReconnectingMqttClient(options));

        Assert.Equal(expected, ex.Message);
    }
}
