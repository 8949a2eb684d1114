using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Deployment.Tests.Broker;

/// <summary>mosquitto_pub as a field client runs it: MQTT 3.1.1, QoS 1, optionally over TLS with a client certificate.</summary>
internal static class MosquittoPublisher
{
    /// <summary>
    /// Publishes one message and returns mosquitto_pub's exit code: 0 once the broker acknowledged it — which under
    /// MQTT 3.1.1 it does for a publish the ACL denies too (the message is dropped), so a denial shows only as absence
    /// at the subscribers. Non-zero when the connection is refused. <paramref name="options"/>: more mosquitto_pub options
    /// (TLS files, <c>-r</c> for a retained message).
    /// </summary>
    public static async Task<int> PublishAsync(int port, MqttAccount? account, string topic, string payload, IEnumerable<string>? options = null)
    {
        var arguments = new List<string> { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-V", "mqttv311", "-q", "1", "-t", topic, "-m", payload };
        if (account is not null)
        {
            arguments.AddRange(["-u", account.Username]);
            if (account.Password is not null)
                arguments.AddRange(["-P", account.Password]);
        }

        arguments.AddRange(options ?? []);
        await using var publisher = ManagedProcess.Start("mosquitto_pub", RequiredTool.Find("mosquitto_pub", "mosquitto-clients"), arguments);
        return await publisher.WaitForExitAsync(TimeSpan.FromSeconds(15));
    }

    /// <summary>Publishes and fails the test unless the broker accepted the connection.</summary>
    public static async Task PublishAcceptedAsync(int port, MqttAccount account, string topic, string payload, IEnumerable<string>? options = null) =>
        Assert.Equal(0, await PublishAsync(port, account, topic, payload, options));
}

/// <summary>
/// A subscriber with our MQTT client, logged in with one account: keeps every message it receives, so a test can wait
/// for a positive control and then assert that a denied message never arrived before it.
/// </summary>
internal sealed class TopicSubscriber : IAsyncDisposable
{
    private readonly ReconnectingMqttClient _client;
    private readonly ConcurrentQueue<(string Topic, string Text)> _received = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private TopicSubscriber(ReconnectingMqttClient client, IReadOnlyList<MqttSubscribeResult> subscriptions)
    {
        _client = client;
        Subscriptions = subscriptions;
        _reading = ReadAsync();
    }

    /// <summary>What the broker granted per filter (0x80 and above: refused).</summary>
    public IReadOnlyList<MqttSubscribeResult> Subscriptions { get; }

    public IReadOnlyCollection<(string Topic, string Text)> Received => _received;

    public static Task<TopicSubscriber> StartAsync(int port, MqttAccount account, ILogger logger, params string[] filters) =>
        StartAsync(port, account, MqttProtocol.V500, logger, filters);

    /// <summary>With <see cref="MqttProtocol.V311"/> for the NATS cluster, which refuses MQTT 5.</summary>
    public static async Task<TopicSubscriber> StartAsync(int port, MqttAccount account, MqttProtocol protocol, ILogger logger, params string[] filters)
    {
        var client = new ReconnectingMqttClient(
            new MqttClientOptions
            {
                Host = "127.0.0.1",
                Port = port,
                ClientId = $"{account.Username}-sub-{Guid.NewGuid():N}"[..40],
                CleanSession = true,
                Username = account.Username,
                Password = account.Password,
                Protocol = protocol,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
            logger);
        try
        {
            await client.ConnectAsync(CancellationToken.None);
            var subscriptions = await client.SubscribeAsync(filters.Select(f => new MqttTopicFilter(f, MqttQualityOfService.AtLeastOnce)).ToArray(), CancellationToken.None);
            return new TopicSubscriber(client, subscriptions);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for a message on <paramref name="topic"/> whose payload contains <paramref name="marker"/> (any payload when null).</summary>
    public async Task WaitForAsync(string topic, string? marker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_received.Any(m => m.Topic == topic && (marker is null || m.Text.Contains(marker, StringComparison.Ordinal))))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no message on {topic}{(marker is null ? "" : $" with '{marker}'")} within {timeout.TotalSeconds:0} s; received: {Describe()}");
            await Task.Delay(50);
        }
    }

    public bool HasReceived(string marker) => _received.Any(m => m.Text.Contains(marker, StringComparison.Ordinal));

    public string Describe() => _received.IsEmpty ? "nothing" : string.Join("; ", _received.Select(m => $"{m.Topic} {m.Text}"));

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var message in _client.Messages.ReadAllAsync(_stop.Token))
                _received.Enqueue((message.Topic, Encoding.UTF8.GetString(message.Payload.Span)));
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        await _client.DisposeAsync();
        _stop.Dispose();
    }
}
