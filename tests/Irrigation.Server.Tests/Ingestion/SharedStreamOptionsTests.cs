using Irrigation.Contracts;
using Irrigation.Server.Ingestion;
using Irrigation.Server.Leadership;

namespace Irrigation.Server.Tests;

/// <summary>The shared stream's and the leadership's settings, and how an MQTT topic is named as a NATS subject.</summary>
public sealed class SharedStreamOptionsTests
{
    [Theory]
    [InlineData("irrigation/st001/telemetry", "irrigation.st001.telemetry")]
    [InlineData("irrigation/st.001/telemetry", "irrigation.st//001.telemetry")]
    [InlineData("county/a/irrigation/+/telemetry", "county.a.irrigation.+.telemetry")]
    public void MqttSubjects_NameATopicAsNatsServerDoes_AndBack(string topic, string subject)
    {
        Assert.Equal(subject, MqttSubjects.FromTopic(topic));
        Assert.Equal(topic, MqttSubjects.ToTopic("$MQTT.msgs." + subject, "$MQTT.msgs."));
        Assert.Equal(topic, MqttSubjects.ToTopic(subject, ""));
        Assert.Null(MqttSubjects.ToTopic(subject, "$MQTT.msgs."));
    }

    [Fact]
    public void Validate_OffByDefault_AndAcceptsTheClusterAddresses()
    {
        var off = new SharedStreamOptions();
        off.Validate();
        Assert.False(off.Enabled);

        var on = new SharedStreamOptions { Servers = "nats://127.0.0.1:24222, nats://127.0.0.1:24223,nats://127.0.0.1:24224" };
        on.Validate();
        Assert.True(on.Enabled);
        Assert.Equal(3, on.ServerUrls.Count);
    }

    [Theory]
    [InlineData("127.0.0.1:24222", null, "Irrigation:SharedStream:Servers: '127.0.0.1:24222' is not a nats://host:port address.")]
    [InlineData("http://127.0.0.1:24222", null, "Irrigation:SharedStream:Servers: 'http://127.0.0.1:24222' is not a nats://host:port address.")]
    [InlineData("nats://127.0.0.1:24222", "ingest.all", "Irrigation:SharedStream:Consumer 'ingest.all' is not a consumer name (letters, digits, '-' and '_').")]
    [InlineData("nats://127.0.0.1:24222", "", "Irrigation:SharedStream:Consumer '' is not a consumer name (letters, digits, '-' and '_').")]
    public void Validate_BadAddressOrConsumer_NamesTheSetting(string servers, string? consumer, string message)
    {
        var options = new SharedStreamOptions { Servers = servers };
        if (consumer is not null)
            options.Consumer = consumer;
        Assert.Equal(message, Assert.Throws<ArgumentException>(options.Validate).Message);
    }

    [Fact]
    public void Validate_AckWaitAndPullOutOfRange_NameTheSetting()
    {
        Assert.StartsWith("Irrigation:SharedStream:AckWait must be 2 s..10 min", Assert.Throws<ArgumentException>(
            new SharedStreamOptions { Servers = "nats://127.0.0.1:1", AckWait = TimeSpan.FromSeconds(1) }.Validate).Message);
        Assert.StartsWith("Irrigation:SharedStream:PullBatch must be 1..MaxAckPending", Assert.Throws<ArgumentException>(
            new SharedStreamOptions { Servers = "nats://127.0.0.1:1", MaxAckPending = 100, PullBatch = 101 }.Validate).Message);
        Assert.StartsWith("Irrigation:SharedStream:PullExpires must be 2 s..1 min", Assert.Throws<ArgumentException>(
            new SharedStreamOptions { Servers = "nats://127.0.0.1:1", PullExpires = TimeSpan.FromSeconds(1) }.Validate).Message);
        Assert.StartsWith("Irrigation:SharedStream:PullExpires must be 2 s..1 min", Assert.Throws<ArgumentException>(
            new SharedStreamOptions { Servers = "nats://127.0.0.1:1", PullExpires = TimeSpan.FromMinutes(2) }.Validate).Message);
    }

    [Theory]
    [InlineData("irrigation-server", null)]
    [InlineData(null, "secret")]
    [InlineData("", "secret")]
    public void Validate_UsernameWithoutPasswordOrPasswordWithoutUsername_Refused(string? username, string? password)
    {
        var options = new SharedStreamOptions { Servers = "nats://127.0.0.1:1", Username = username, Password = password };

        Assert.StartsWith("Irrigation:SharedStream:Username and Password are given together", Assert.Throws<ArgumentException>(options.Validate).Message);
    }

    [Fact]
    public void Validate_UsernameWithSpace_Refused_BothGiven_Accepted()
    {
        Assert.StartsWith("Irrigation:SharedStream:Username 'irrigation server' must be", Assert.Throws<ArgumentException>(
            new SharedStreamOptions { Servers = "nats://127.0.0.1:1", Username = "irrigation server", Password = "x" }.Validate).Message);
        new SharedStreamOptions { Servers = "nats://127.0.0.1:1", Username = "irrigation-server", Password = "x" }.Validate();
    }

    [Fact]
    public void Leadership_LeaseOutOfRange_NamesTheSetting()
    {
        new LeadershipOptions().Validate();
        Assert.StartsWith("Irrigation:Leadership:LeaseDuration must be 3 s..10 min", Assert.Throws<ArgumentException>(
            new LeadershipOptions { LeaseDuration = TimeSpan.FromSeconds(2) }.Validate).Message);
    }
}
