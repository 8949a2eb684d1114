using System.Threading.Channels;
using Irrigation.Mqtt.Client;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// An <see cref="IMqttClient"/> that only reports a connection state: what <see cref="Publishing.TelemetryPublisher"/>
/// reads to mark messages as replayed. Every network operation is unsupported; nothing here talks to a broker.
/// </summary>
public sealed class FixedStateMqttClient : IMqttClient
{
    private readonly Channel<MqttReceivedMessage> _messages = Channel.CreateBounded<MqttReceivedMessage>(1);

    public FixedStateMqttClient(bool connected) => IsConnected = connected;

    public bool IsConnected { get; set; }

    public MqttBrokerEndpoint? ConnectedBroker => IsConnected ? new MqttBrokerEndpoint("127.0.0.1", 1883) : null;

    public bool SubscriptionsGranted => IsConnected;

    public MqttClientCounters Counters { get; } = new();

    public event Action<MqttConnectionEvent>? ConnectionStateChanged
    {
        add { }
        remove { }
    }

    public ChannelReader<MqttReceivedMessage> Messages => _messages.Reader;

    public Task ConnectAsync(CancellationToken cancellationToken) => throw Unsupported();

    public Task AckAsync(IReadOnlyList<MqttReceivedMessage> messages, CancellationToken cancellationToken) => throw Unsupported();

    public Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken) => throw Unsupported();

    public Task<IReadOnlyList<MqttSubscribeResult>> SubscribeAsync(IReadOnlyList<MqttTopicFilter> filters, CancellationToken cancellationToken) => throw Unsupported();

    public Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken) => throw Unsupported();

    public Task DisconnectAsync(CancellationToken cancellationToken) => throw Unsupported();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static NotSupportedException Unsupported() => new("FixedStateMqttClient only reports a connection state.");
}
