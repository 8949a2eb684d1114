using System.Text.Json.Nodes;
using Irrigation.Gateway.Configuration;

namespace Irrigation.Gateway.Tests;

/// <summary>mqtt.brokers (the nodes of a broker cluster) and mqtt.protocol: each error names the entry.</summary>
public sealed partial class GatewayConfigurationTests
{
    private static void Cluster(JsonObject config, params string[] brokers)
    {
        var mqtt = config["mqtt"]!.AsObject();
        mqtt.Remove("host");
        mqtt.Remove("port");
        mqtt["protocol"] = "3.1.1";
        mqtt["brokers"] = new JsonArray([.. brokers.Select(b => (JsonNode?)JsonValue.Create(b))]);
    }

    [Fact]
    public void Load_ThreeBrokersAnd311_BoundInOrder()
    {
        var config = ValidConfig();
        Cluster(config, "127.0.0.1:21883", "127.0.0.1:21884", "127.0.0.1:21885");

        var (options, _) = GatewayConfiguration.Load(Write(config));

        Assert.Equal(["127.0.0.1:21883", "127.0.0.1:21884", "127.0.0.1:21885"], options.Mqtt.Brokers);
        Assert.Equal("3.1.1", options.Mqtt.Protocol);
    }

    [Theory]
    [InlineData(new[] { "127.0.0.1:21883", "127.0.0.1" }, "mqtt.brokers[1]", "\"127.0.0.1\" is not host:port")]
    [InlineData(new[] { "127.0.0.1:21883", "127.0.0.1:0" }, "mqtt.brokers[1]", "\"127.0.0.1:0\": the port must be 1..65535")]
    [InlineData(new[] { "127.0.0.1:21883", "127.0.0.1:21884", "127.0.0.1:21883" }, "mqtt.brokers[2]", "127.0.0.1:21883 is listed twice")]
    [InlineData(new[] { "" }, "mqtt.brokers[0]", "is empty")]
    public void Load_BadBrokerEntry_NamesTheEntry(string[] brokers, string field, string reason)
    {
        var ex = AssertRejected(c => Cluster(c, brokers), field);

        Assert.EndsWith($": {field}: {reason}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BrokersAndHost_RefusedNamingBrokers()
    {
        var ex = AssertRejected(
            c =>
            {
                Cluster(c, "127.0.0.1:21883");
                c["mqtt"]!["host"] = "broker.example";
            },
            "mqtt.brokers");

        Assert.Contains("give either mqtt.brokers or mqtt.host and mqtt.port, not both", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5.0")]
    [InlineData("3")]
    public void Load_UnknownProtocol_NamesProtocol(string protocol)
    {
        var ex = AssertRejected(c => c["mqtt"]!["protocol"] = protocol, "mqtt.protocol");

        Assert.Contains($"must be \"5\" or \"3.1.1\", was \"{protocol}\"", ex.Message, StringComparison.Ordinal);
    }
}
