namespace Irrigation.Benchmarks.Load;

/// <summary>The MQTT load generator's settings (Irrigation.Benchmarks mqtt-load).</summary>
public sealed class MqttLoadOptions
{
    public string BrokerHost { get; set; } = "127.0.0.1";

    public int BrokerPort { get; set; } = 1883;

    /// <summary>Several brokers (the nodes of a cluster), "host:port" each; when given, BrokerHost and BrokerPort are not used.</summary>
    public IList<string> Brokers { get; set; } = [];

    /// <summary>"5" (default) or "3.1.1" (a NATS cluster speaks nothing else).</summary>
    public string Protocol { get; set; } = "5";

    public string TopicRoot { get; set; } = "irrigation";

    public int Stations { get; set; } = 100;

    /// <summary>Messages per second per station.</summary>
    public double Rate { get; set; } = 1;

    /// <summary>Station-wide values per message (a 2-pump station's snapshot has ~36; the benchmark uses 15).</summary>
    public int Values { get; set; } = 15;

    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Parallel MQTT connections publishing (stations are split between them).</summary>
    public int Publishers { get; set; } = 2;

    /// <summary>QoS 1 publishes outstanding per connection.</summary>
    public int Window { get; set; } = 2000;

    public string IdPrefix { get; set; } = "ld";

    /// <summary>Where to write the summary (per-station counts, first/last timestamps) as JSON.</summary>
    public string? SummaryPath { get; set; }

    public int Seed { get; set; } = 1;

    public void Validate()
    {
        if (Stations is < 1 or > 100_000)
            throw new ArgumentException($"--stations must be 1..100000, was {Stations}.");
        if (Rate is <= 0 or > 1000)
            throw new ArgumentException($"--rate must be 0..1000 messages/s per station, was {Rate}.");
        if (Values is < 1 or > 200)
            throw new ArgumentException($"--values must be 1..200, was {Values}.");
        if (Duration <= TimeSpan.Zero || Duration > TimeSpan.FromHours(24))
            throw new ArgumentException("--duration-s must be 1 s..24 h.");
        foreach (var broker in Brokers)
        {
            if (!Irrigation.Mqtt.Client.MqttBrokerEndpoint.TryParse(broker, out _, out var reason))
                throw new ArgumentException($"--broker {reason}.");
        }

        if (Protocol is not ("5" or "3.1.1"))
            throw new ArgumentException($"--protocol must be 5 or 3.1.1, was {Protocol}.");
        if (Publishers is < 1 or > 64 || Window is < 1 or > 65_000)
            throw new ArgumentException("--publishers must be 1..64 and --window 1..65000.");
    }

    public string StationId(int index) => $"{IdPrefix}{index + 1:00000}";
}
