using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Mqtt.Client;

namespace Irrigation.Gateway.Tests;

/// <summary>A message seen on the broker.</summary>
public sealed record SeenMessage(string Topic, JsonObject Json, DateTimeOffset ReceivedAt, bool Retain);

/// <summary>
/// Subscribes to everything under irrigation/ with a persistent session (so nothing published while it is
/// disconnected is lost) and keeps what arrives, for assertions with deadlines.
/// </summary>
public sealed class TelemetryCollector : IAsyncDisposable
{
    private readonly ReconnectingMqttClient _client;
    private readonly ConcurrentQueue<SeenMessage> _messages = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    private TelemetryCollector(ReconnectingMqttClient client) => _client = client;

    public IReadOnlyCollection<SeenMessage> Messages => _messages;

    public IMqttClient Client => _client;

    public static async Task<TelemetryCollector> StartAsync(int port, string clientId)
    {
        var client = new ReconnectingMqttClient(new MqttClientOptions
        {
            Port = port,
            ClientId = clientId,
            CleanSession = false,
            KeepAlive = TimeSpan.FromSeconds(5),
            ReconnectDelay = TimeSpan.FromMilliseconds(200),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
            InboundCapacity = 100_000,
        });
        var collector = new TelemetryCollector(client);
        await client.ConnectAsync(CancellationToken.None);
        await client.SubscribeAsync([new MqttTopicFilter("irrigation/#", MqttQualityOfService.AtLeastOnce)], CancellationToken.None);
        collector._loop = collector.ReadAsync();
        return collector;
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var message in _client.Messages.ReadAllAsync(_stop.Token))
            {
                JsonNode? node;
                try
                {
                    node = JsonNode.Parse(Encoding.UTF8.GetString(message.Payload.Span));
                }
                catch (System.Text.Json.JsonException)
                {
                    continue; // e.g. the malformed commands a test sends on purpose
                }

                if (node is JsonObject json)
                    _messages.Enqueue(new SeenMessage(message.Topic, json, DateTimeOffset.UtcNow, message.Retain));
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    public IEnumerable<SeenMessage> On(string topic) => _messages.Where(m => m.Topic == topic);

    public async Task<SeenMessage> WaitForAsync(string topic, Func<JsonObject, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var match = _messages.FirstOrDefault(m => m.Topic == topic && predicate(m.Json));
            if (match is not null)
                return match;
            await Task.Delay(50);
        }

        var seen = string.Join('\n', _messages.Where(m => m.Topic == topic).TakeLast(5).Select(m => m.Json.ToJsonString()));
        throw new TimeoutException($"No matching message on {topic} within {timeout.TotalSeconds:0} s. Last seen:\n{seen}");
    }

    public async Task PublishAsync(string topic, string json) =>
        await _client.PublishAsync(new MqttApplicationMessage(topic, Encoding.UTF8.GetBytes(json), MqttQualityOfService.AtLeastOnce), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
            await _loop;
        await _client.DisposeAsync();
        _stop.Dispose();
    }
}
