using Irrigation.Server.Http;
using Irrigation.Server.Stations;
using Irrigation.Server.State;

using Irrigation.Server.Events;

namespace Irrigation.Server.Stations;

/// <summary>
/// Once a second, publishes the station summaries that changed (online, power, pumps, staleness) and the latest
/// values that moved since the last round. Nothing is computed while nobody listens.
/// </summary>
public sealed class StationEventPump : BackgroundService
{
    private readonly EventHub _hub;
    private readonly StationViews _views;
    private readonly LatestValueCache _cache;
    private readonly Dictionary<string, string> _lastSummary = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastValueTs = new(StringComparer.Ordinal);

    public StationEventPump(EventHub hub, StationViews views, LatestValueCache cache)
    {
        _hub = hub;
        _views = views;
        _cache = cache;
    }

    internal static TimeSpan Interval { get; } = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await Ticks.NextAsync(timer, stoppingToken))
        {
            if (_hub.Subscribers == 0)
                continue;
            Publish();
        }
    }

    internal void Publish()
    {
        foreach (var summary in _views.List())
        {
            // Serialised once: the text both detects a change and is what subscribers receive.
            var live = EventHub.Create("station", summary);
            if (!_lastSummary.TryGetValue(summary.Id, out var last) || last != live.Json)
            {
                _lastSummary[summary.Id] = live.Json;
                _hub.Publish(live);
            }
        }

        foreach (var snapshot in _cache.Snapshot())
        {
            var since = _lastValueTs.GetValueOrDefault(snapshot.Id);
            var changed = snapshot.Values.Where(kv => kv.Value.TimestampMs > since).ToDictionary(kv => kv.Key, kv => new[] { kv.Value.Value, kv.Value.TimestampMs }, StringComparer.Ordinal);
            if (changed.Count == 0)
                continue;
            _lastValueTs[snapshot.Id] = snapshot.Values.Max(kv => kv.Value.TimestampMs);
            _hub.Publish("values", new { station = snapshot.Id, values = changed });
        }
    }
}
