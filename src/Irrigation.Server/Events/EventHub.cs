using Irrigation.Server.Observability;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;

namespace Irrigation.Server.Events;

/// <summary>A live update for the web app: an SSE event name and its JSON data.</summary>
public sealed record LiveEvent(string Name, string Json);

/// <summary>
/// Fan-out of live updates to Server-Sent-Event subscribers. Each subscriber has a small bounded queue that drops
/// its oldest events when the phone reads too slowly (a 4G link stalling), so one slow client never holds memory or
/// slows the others; the client re-reads full state on reconnect, so a dropped event costs nothing lasting.
/// </summary>
public sealed class EventHub
{
    public const int SubscriberCapacity = 512;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _sync = new();
    private readonly List<Channel<LiveEvent>> _subscribers = [];
    private readonly Counter<long> _dropped;

    public EventHub(IMeterFactory meters)
    {
        var meter = ServerMeters.Create(meters);
        meter.CreateObservableGauge("irrigation_live_clients", () => Subscribers, description: "Server-Sent Event subscribers.");
        _dropped = meter.CreateCounter<long>("irrigation_live_events_dropped", description: "Live events dropped for slow subscribers.");
        _dropped.Add(0);
    }

    public int Subscribers
    {
        get
        {
            lock (_sync)
                return _subscribers.Count;
        }
    }

    public ChannelReader<LiveEvent> Subscribe(out IDisposable subscription)
    {
        var channel = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(SubscriberCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest },
            _ => _dropped.Add(1));
        lock (_sync)
            _subscribers.Add(channel);
        subscription = new Subscription(this, channel);
        return channel.Reader;
    }

    /// <summary>An event with its data serialised the way every live event is (web defaults: camelCase).</summary>
    public static LiveEvent Create<T>(string name, T data) => new(name, JsonSerializer.Serialize(data, Json));

    public void Publish<T>(string name, T data)
    {
        if (Subscribers > 0)
            Publish(Create(name, data));
    }

    /// <summary>Publishes an event already serialised (by <see cref="Create"/>).</summary>
    public void Publish(LiveEvent live)
    {
        ArgumentNullException.ThrowIfNull(live);
        Channel<LiveEvent>[] subscribers;
        lock (_sync)
        {
            if (_subscribers.Count == 0)
                return;
            subscribers = [.. _subscribers];
        }

        foreach (var subscriber in subscribers)
            subscriber.Writer.TryWrite(live);
    }

    private void Remove(Channel<LiveEvent> channel)
    {
        lock (_sync)
            _subscribers.Remove(channel);
        channel.Writer.TryComplete();
    }

    private sealed class Subscription(EventHub hub, Channel<LiveEvent> channel) : IDisposable
    {
        public void Dispose() => hub.Remove(channel);
    }
}

public static class EventsRegistration
{
    /// <summary>The fan-out of live updates (station changes, commands, alarms) to the web app's Server-Sent Events.</summary>
    public static IServiceCollection AddLiveEvents(this IServiceCollection services) => services.AddSingleton<EventHub>();
}
