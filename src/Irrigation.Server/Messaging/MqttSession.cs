using Irrigation.Mqtt.Client;

namespace Irrigation.Server.Messaging;

/// <summary>
/// One feature's own MQTT session (its own client id suffix, persistent, apart from the others'): ingestion with manual
/// acknowledgement, commands, gap repair, plans. <typeparamref name="TFeature"/> only tells the sessions apart in the
/// service container.
/// </summary>
public sealed class MqttSession<TFeature>(IMqttClient client) : IAsyncDisposable
{
    public IMqttClient Client { get; } = client;

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
