using Irrigation.Mqtt.Topics;

namespace Irrigation.Mqtt.Tests;

/// <summary>Topic matching (MQTT 3.1.1 §4.7), with the spec's own examples, the $ rule and shared subscriptions.</summary>
public sealed class MqttTopicFilterMatcherTests
{
    [Theory]
    // §4.7.1.2 multi-level wildcard
    [InlineData("sport/tennis/player1", "sport/tennis/player1/#", true)]
    [InlineData("sport/tennis/player1/ranking", "sport/tennis/player1/#", true)]
    [InlineData("sport/tennis/player1/score/wimbledon", "sport/tennis/player1/#", true)]
    [InlineData("sport", "sport/#", true)]
    [InlineData("sport/tennis", "#", true)]
    [InlineData("sport/tennis/player2", "sport/tennis/player1/#", false)]
    // §4.7.1.3 single-level wildcard
    [InlineData("sport/tennis/player1", "sport/tennis/+", true)]
    [InlineData("sport/tennis/player2", "sport/tennis/+", true)]
    [InlineData("sport/tennis/player1/ranking", "sport/tennis/+", false)]
    [InlineData("sport", "sport/+", false)]
    [InlineData("sport/", "sport/+", true)]
    [InlineData("/finance", "+/+", true)]
    [InlineData("/finance", "/+", true)]
    [InlineData("/finance", "+", false)]
    [InlineData("sport/tennis/player1", "sport/+/player1", true)]
    [InlineData("sport/tennis/player1/ranking", "+/tennis/#", true)]
    // §4.7.2 topics beginning with $
    [InlineData("$SYS/monitor/Clients", "#", false)]
    [InlineData("$SYS/monitor/Clients", "+/monitor/Clients", false)]
    [InlineData("$SYS/monitor/Clients", "$SYS/#", true)]
    [InlineData("$SYS/monitor/Clients", "$SYS/monitor/+", true)]
    // §4.7.3 case-sensitive, exact levels
    [InlineData("ACCOUNTS", "accounts", false)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/b/", false)]
    [InlineData("a//b", "a/+/b", true)]
    // shared subscriptions match with the inner filter
    [InlineData("test/share/1", "$share/g/test/#", true)]
    [InlineData("test/share/1", "$share/g/test/+/1", true)]
    [InlineData("other/1", "$share/g/test/#", false)]
    [InlineData("$SYS/x", "$share/g/#", false)]
    public void IsMatch_SpecExamples_MatchAsSpecified(string topic, string filter, bool expected) =>
        Assert.Equal(expected, MqttTopicFilterMatcher.IsMatch(topic, filter));

    [Theory]
    [InlineData("sport/tennis#")]
    [InlineData("sport/tennis/#/ranking")]
    [InlineData("sport+")]
    [InlineData("")]
    [InlineData("$share/g")]
    [InlineData("$share//a")]
    [InlineData("$share/g+/a")]
    public void IsValidFilter_ForbiddenFilter_IsFalse(string filter) =>
        Assert.False(MqttTopicFilterMatcher.IsValidFilter(filter));

    [Theory]
    [InlineData("#")]
    [InlineData("+")]
    [InlineData("+/tennis/#")]
    [InlineData("/")]
    [InlineData("$share/g/a/#")]
    public void IsValidFilter_AllowedFilter_IsTrue(string filter) =>
        Assert.True(MqttTopicFilterMatcher.IsValidFilter(filter));

    [Fact]
    public void IsMatch_InvalidFilter_IsFalse() =>
        Assert.False(MqttTopicFilterMatcher.IsMatch("sport/tennis", "sport/tennis#"));

    [Theory]
    [InlineData("a/+", false)]
    [InlineData("a/#", false)]
    [InlineData("", false)]
    [InlineData("a/b", true)]
    [InlineData("/", true)]
    public void IsValidTopicName_Wildcards_AreNotTopicNames(string topic, bool expected) =>
        Assert.Equal(expected, MqttTopicFilterMatcher.IsValidTopicName(topic));
}
