namespace Irrigation.Contracts.Tests;

public sealed class TopicsTests
{
    [Fact]
    public void Names_AndFilters_AreTheDocumentedOnes()
    {
        Assert.Equal("irrigation/st001/telemetry", Topics.Telemetry("irrigation", "st001"));
        Assert.Equal("irrigation/st001/status", Topics.StationStatus("irrigation", "st001"));
        Assert.Equal("irrigation/gateways/gw-01/status", Topics.GatewayStatus("irrigation", "gw-01"));
        Assert.Equal("irrigation/st001/cmd", Topics.Command("irrigation", "st001"));
        Assert.Equal("irrigation/st001/cmd/result", Topics.CommandResult("irrigation", "st001"));
        Assert.Equal("irrigation/+/telemetry", Topics.AllTelemetry("irrigation"));
        Assert.Equal("$share/ingest/irrigation/+/telemetry", Topics.SharedTelemetry("irrigation", "ingest"));
        Assert.Equal("irrigation/+/status", Topics.AllStationStatus("irrigation"));
        Assert.Equal("irrigation/gateways/+/status", Topics.AllGatewayStatus("irrigation"));
        Assert.Equal("irrigation/+/cmd", Topics.AllCommands("irrigation"));
        Assert.Equal("irrigation/+/cmd/result", Topics.AllCommandResults("irrigation"));
    }

    [Theory]
    [InlineData("irrigation/st001/telemetry", TopicKind.Telemetry, "st001")]
    [InlineData("irrigation/st001/status", TopicKind.StationStatus, "st001")]
    [InlineData("irrigation/gateways/gw-01/status", TopicKind.GatewayStatus, "gw-01")]
    [InlineData("irrigation/st001/cmd", TopicKind.Command, "st001")]
    [InlineData("irrigation/st001/cmd/result", TopicKind.CommandResult, "st001")]
    [InlineData("irrigation/城东机埠/telemetry", TopicKind.Telemetry, "城东机埠")]
    public void TryParse_EveryKind_GivesKindAndId(string topic, TopicKind kind, string id)
    {
        Assert.True(Topics.TryParse("irrigation", topic, out var parsed, out var range));
        Assert.Equal((kind, id), (parsed, topic[range]));
    }

    [Theory]
    [InlineData("other/st001/telemetry")]
    [InlineData("irrigationx/st001/telemetry")]
    [InlineData("irrigation/st001/telemetry/extra")]
    [InlineData("irrigation//telemetry")]
    [InlineData("irrigation/st001")]
    [InlineData("irrigation")]
    [InlineData("irrigation/gateways/gw/x/status")]
    [InlineData("irrigation/st001/cmd/other")]
    [InlineData("")]
    public void TryParse_AnythingElse_IsFalse(string topic) =>
        Assert.False(Topics.TryParse("irrigation", topic, out _, out _));

    [Fact]
    public void TryParse_GatewaysStationTelemetry_IsTheStationNamedGateways() // "gateways" is only special before {id}/status
    {
        Assert.True(Topics.TryParse("irrigation", "irrigation/gateways/telemetry", out var kind, out var range));
        Assert.Equal((TopicKind.Telemetry, "gateways"), (kind, "irrigation/gateways/telemetry"[range]));
    }
}
