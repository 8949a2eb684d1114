using System.Text;
using Irrigation.Mqtt.Client;

namespace Irrigation.Mqtt.Tests.TestSupport;

/// <summary>Bounded waits on a client's message channel, and client options for a test broker.</summary>
internal static class ClientExtensions
{
    /// <summary>Options for a client of <paramref name="broker"/>: quick connect timeout and reconnects for tests.</summary>
    public static MqttClientOptions ClientOptions(this MosquittoBroker broker, string clientId, bool cleanSession = true) => new()
    {
        Host = "127.0.0.1",
        Port = broker.Port,
        ClientId = clientId,
        CleanSession = cleanSession,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelay = TimeSpan.FromMilliseconds(100),
        MaxReconnectDelay = TimeSpan.FromSeconds(1),
    };

    public static async Task<MqttReceivedMessage> ReadOneAsync(this IMqttClient client, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await client.Messages.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException ex)
        {
            throw new TimeoutException($"No message within {timeout.TotalSeconds:0.#} s (received so far: {client.Counters.Received}).", ex);
        }
    }

    public static async Task<List<MqttReceivedMessage>> ReadManyAsync(this IMqttClient client, int count, TimeSpan timeout)
    {
        var messages = new List<MqttReceivedMessage>(count);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (messages.Count < count)
                messages.Add(await client.Messages.ReadAsync(deadline.Token));
            return messages;
        }
        catch (OperationCanceledException ex)
        {
            throw new TimeoutException($"Only {messages.Count} of {count} messages within {timeout.TotalSeconds:0.#} s.", ex);
        }
    }

    /// <summary>Asserts that no message arrives for <paramref name="quiet"/>.</summary>
    public static async Task AssertNoMessageAsync(this IMqttClient client, TimeSpan quiet)
    {
        using var deadline = new CancellationTokenSource(quiet);
        try
        {
            var message = await client.Messages.ReadAsync(deadline.Token);
            Assert.Fail($"Expected no message, got \"{message.Text()}\" on {message.Topic}.");
        }
        catch (OperationCanceledException)
        {
            // Quiet, as expected.
        }
    }

    public static string Text(this MqttReceivedMessage message) => Encoding.UTF8.GetString(message.Payload.Span);

    public static Task SubscribeOneAsync(this IMqttClient client, string filter, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce) =>
        client.SubscribeAsync([new MqttTopicFilter(filter, qos)], CancellationToken.None);
}
