using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Microsoft.Extensions.Logging;

namespace Irrigation.Benchmarks.Load;

/// <summary>What a load run published, for the benchmark and tests to compare with what was stored.</summary>
public sealed record MqttLoadSummary(long Published, double Seconds, double MessagesPerSecond, int ValuesPerMessage, IReadOnlyDictionary<string, long> PerStation, long FirstTimestampMs, long LastTimestampMs);

/// <summary>
/// Publishes telemetry in the gateway's format (docs/mqtt.md) for M synthetic stations at R messages/s each,
/// QoS 1, over a few connections with many publishes in flight — load for the ingestion benchmark and tests.
/// Values wander around plausible levels; sequence numbers and timestamps are exact, so every message can be
/// found again in InfluxDB.
/// </summary>
public sealed class MqttLoadGenerator
{
    private static readonly string[] BaseNames =
    [
        "voltage_a", "voltage_b", "voltage_c", "current_a", "current_b", "current_c", "active_power", "power_factor",
        "frequency", "forward_energy", "sump_level", "outlet_pressure", "flow_rate", "flow_total", "voltage_ab",
    ];

    private static readonly string[] Units = ["V", "V", "V", "A", "A", "A", "W", "", "Hz", "kWh", "m", "MPa", "m3/h", "m3", "V"];

    private readonly MqttLoadOptions _options;

    private readonly string _epoch = TelemetryEpoch.New();
    private readonly ILogger _logger;

    public MqttLoadGenerator(MqttLoadOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    public async Task<MqttLoadSummary> RunAsync(CancellationToken cancellationToken)
    {
        _options.Validate();
        var perStation = new long[_options.Stations];
        long first = 0, last = 0;
        var started = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, _options.Publishers).Select(p => PublishAsync(p, perStation, cancellationToken)).ToArray();
        var bounds = await Task.WhenAll(tasks);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        first = bounds.Where(b => b.First > 0).Select(b => b.First).DefaultIfEmpty(0).Min();
        last = bounds.Select(b => b.Last).DefaultIfEmpty(0).Max();
        var total = perStation.Sum();
        var summary = new MqttLoadSummary(total, seconds, total / seconds, _options.Values,
            Enumerable.Range(0, _options.Stations).ToDictionary(_options.StationId, i => perStation[i]), first, last);
        if (_options.SummaryPath is { } path)
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(summary), cancellationToken);
        return summary;
    }

    /// <summary>One connection publishing its share of stations, paced to the target rate, keeping a window of QoS 1 publishes in flight.</summary>
    private async Task<(long First, long Last)> PublishAsync(int publisher, long[] perStation, CancellationToken cancellationToken)
    {
        var stations = Enumerable.Range(0, _options.Stations).Where(s => s % _options.Publishers == publisher).ToArray();
        if (stations.Length == 0)
            return (0, 0);
        await using var client = new ReconnectingMqttClient(new MqttClientOptions
        {
            Host = _options.BrokerHost,
            Port = _options.BrokerPort,
            Brokers = _options.Brokers,
            Protocol = _options.Protocol == "3.1.1" ? MqttProtocol.V311 : MqttProtocol.V500,
            ClientId = $"irrigation-load-{Environment.ProcessId}-{publisher}",
            CleanSession = true,
            MaxInflight = Math.Min(_options.Window, 65_535),
            KeepAlive = TimeSpan.FromSeconds(30),
        });
        await client.ConnectAsync(cancellationToken);
        var random = new Random(_options.Seed * 31 + publisher);
        var sequence = new long[stations.Length];
        var lastStamp = new long[stations.Length];
        var inFlight = new Queue<Task>(_options.Window);
        var rate = _options.Rate * stations.Length;
        var total = (long)Math.Round(rate * _options.Duration.TotalSeconds);
        var buffer = new ArrayBufferWriter<byte>(2048);
        long first = 0, lastTs = 0;
        var started = Stopwatch.GetTimestamp();
        for (long sent = 0; sent < total && !cancellationToken.IsCancellationRequested; sent++)
        {
            // Pace: message n is due at n / rate seconds.
            var due = sent / rate;
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (due > elapsed + 0.002)
                await Task.Delay(TimeSpan.FromSeconds(due - elapsed), cancellationToken);

            var slot = (int)(sent % stations.Length);
            var index = stations[slot];
            // A point is unique by station and millisecond in InfluxDB: two messages of one station in the same
            // millisecond would overwrite each other, so each station's timestamps strictly increase.
            var ts = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), lastStamp[slot] + 1);
            lastStamp[slot] = ts;
            buffer.ResetWrittenCount();
            Write(buffer, _options.StationId(index), ++sequence[slot], ts, random, index);
            if (inFlight.Count >= _options.Window)
                await inFlight.Dequeue();
            inFlight.Enqueue(client.PublishAsync(new MqttApplicationMessage(Topics.Telemetry(_options.TopicRoot, _options.StationId(index)), buffer.WrittenMemory.ToArray(), MqttQualityOfService.AtLeastOnce), cancellationToken));
            Interlocked.Increment(ref perStation[index]);
            if (first == 0)
                first = ts;
            lastTs = ts;
        }

        while (inFlight.Count > 0)
            await inFlight.Dequeue();
        _logger.LogInformation("Publisher {Publisher}: {Count} message(s) acknowledged by the broker.", publisher, stations.Sum(s => perStation[s]));
        await client.DisconnectAsync(cancellationToken);
        return (first, lastTs);
    }

    private void Write(ArrayBufferWriter<byte> buffer, string station, long seq, long ts, Random random, int index)
    {
        var values = new TelemetryValue[_options.Values];
        for (var i = 0; i < values.Length; i++)
        {
            var name = i < BaseNames.Length ? BaseNames[i] : $"extra_{i}";
            values[i] = new TelemetryValue(name, Math.Round(Level(i, index) * (0.99 + (random.NextDouble() * 0.02)), 3), i < Units.Length ? Units[i] : "");
        }

        // An epoch as a real gateway sends, so the server's completeness tracking runs in every benchmark.
        var header = new TelemetryHeader(station, "load", "load-gen", seq, ts, TelemetryKind.Snapshot, Replayed: false, TelemetryQuality.Good, DeviceLink.Good, Controller: null) { Epoch = _epoch };
        TelemetryPayload.Write(buffer, header, values);
    }

    private static double Level(int value, int station) => value switch
    {
        < 3 => 230,
        < 6 => 20 + (station % 10),
        6 => 12_000,
        7 => 0.85,
        8 => 50,
        9 => 10_000 + station,
        _ => 100 + value,
    };
}
