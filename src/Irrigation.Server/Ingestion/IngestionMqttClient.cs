using Irrigation.Mqtt.Client;

namespace Irrigation.Server.Ingestion;

/// <summary>The ingestion's MQTT session (telemetry and status, manual acknowledgement), apart from the commands' one.</summary>
public sealed class IngestionMqttClient(IMqttClient client) : IAsyncDisposable
{
    public IMqttClient Client { get; } = client;

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
