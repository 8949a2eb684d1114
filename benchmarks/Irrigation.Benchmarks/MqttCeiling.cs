using System.Diagnostics;
using System.Globalization;
using Irrigation.Contracts;
using Irrigation.Mqtt.Client;

namespace Irrigation.Benchmarks;

/// <summary>What the mosquitto-alone ceiling run delivered and how fast.</summary>
public sealed record MqttCeilingResult(long Published, long Received, int PayloadBytes, double Seconds)
{
    public double MessagesPerSecond => Received / Seconds;
}

/// <summary>
/// The mosquitto-alone ceiling: publishers → broker → one counting subscriber, QoS 1 both ways, with the project's
/// <see cref="MqttClient"/> (the client the load generator and the server use) and payloads of the ingest run's size
/// (Irrigation.Benchmarks mqtt-load messages). Publishers send as fast as the broker acknowledges, with the load generator's
/// window of publishes in flight; timed from the first publish to the last message received.
/// </summary>
public sealed class MqttCeiling
{
    private const int Window = 2000;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    private readonly string _host;
    private readonly int _port;

    public MqttCeiling(string host, int port)
    {
        _host = host;
        _port = port;
    }

    public async Task<MqttCeilingResult> RunAsync(long messages, int publishers, int stations, int values, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var random = new Random(1);
        var ids = Enumerable.Range(1, stations).Select(i => string.Create(CultureInfo.InvariantCulture, $"mc{i:00000}")).ToArray();
        var topics = ids.Select(id => Topics.Telemetry("ceiling", id)).ToArray();
        var payloads = ids.Select((id, i) => TelemetrySamples.LoadMessage(id, 1843, ts + i, values, random)).ToArray();

        await using var subscriber = new ReconnectingMqttClient(new MqttClientOptions
        {
            Host = _host,
            Port = _port,
            ClientId = $"irrigation-ceiling-sub-{Environment.ProcessId}",
            CleanSession = true,
            InboundCapacity = 20_000,
        });
        await subscriber.ConnectAsync(deadline.Token);
        await subscriber.SubscribeAsync([new MqttTopicFilter(Topics.AllTelemetry("ceiling"), MqttQualityOfService.AtLeastOnce)], deadline.Token);

        long received = 0;
        var lastReceived = 0L;
        var counting = Task.Run(async () =>
        {
            while (received < messages && await subscriber.Messages.WaitToReadAsync(deadline.Token))
            {
                while (subscriber.Messages.TryRead(out _))
                    received++;
                lastReceived = Stopwatch.GetTimestamp();
            }
        }, deadline.Token);

        var started = Stopwatch.GetTimestamp();
        var published = await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => PublishAsync(p, publishers, messages, topics, payloads, deadline.Token)));
        try
        {
            await counting;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"mqtt-ceiling: gave up after {Deadline.TotalSeconds:0} s with {received} of {messages} received.");
        }

        await subscriber.DisconnectAsync(CancellationToken.None);
        var seconds = Stopwatch.GetElapsedTime(started, lastReceived == 0 ? Stopwatch.GetTimestamp() : lastReceived).TotalSeconds;
        return new MqttCeilingResult(published.Sum(), received, payloads[0].Length, seconds);
    }

    private async Task<long> PublishAsync(int publisher, int publishers, long messages, string[] topics, byte[][] payloads, CancellationToken cancellationToken)
    {
        await using var client = new ReconnectingMqttClient(new MqttClientOptions
        {
            Host = _host,
            Port = _port,
            ClientId = $"irrigation-ceiling-pub-{Environment.ProcessId}-{publisher}",
            CleanSession = true,
            MaxInflight = Window,
        });
        await client.ConnectAsync(cancellationToken);
        var inFlight = new Queue<Task>(Window);
        long sent = 0;
        for (var n = (long)publisher; n < messages; n += publishers, sent++)
        {
            var slot = (int)(n % topics.Length);
            if (inFlight.Count >= Window)
                await inFlight.Dequeue();
            inFlight.Enqueue(client.PublishAsync(new MqttApplicationMessage(topics[slot], payloads[slot], MqttQualityOfService.AtLeastOnce), cancellationToken));
        }

        while (inFlight.Count > 0)
            await inFlight.Dequeue();
        await client.DisconnectAsync(cancellationToken);
        return sent;
    }
}
