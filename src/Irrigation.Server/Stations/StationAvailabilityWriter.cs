using Microsoft.Extensions.Options;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Write;
using Irrigation.Server.Storage;
using Irrigation.Server.Configuration;
using Irrigation.Server.Http;
using Irrigation.Server.State;

using Irrigation.Server.Leadership;

namespace Irrigation.Server.Stations;

/// <summary>
/// Samples every station's availability (online, stale) at a fixed interval into InfluxDB (measurement
/// <c>station_status</c>), so the acceptance dashboards can state an online rate per Beijing day as mean(online).
/// Samples are aligned to the interval so every station gets the same timestamps.
/// </summary>
public sealed class StationAvailabilityWriter : BackgroundService
{
    private readonly StationViews _views;
    private readonly LatestValueCache _cache;
    private readonly EventPointWriter _events;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger<StationAvailabilityWriter> _logger;
    private readonly InstanceLeadership _leadership;

    public StationAvailabilityWriter(StationViews views, LatestValueCache cache, EventPointWriter events, IOptions<ApiOptions> options, TimeProvider time, ILogger<StationAvailabilityWriter> logger, InstanceLeadership leadership)
    {
        ArgumentNullException.ThrowIfNull(options);
        _views = views;
        _cache = cache;
        _events = events;
        _interval = options.Value.AvailabilityInterval;
        _time = time;
        _logger = logger;
        _leadership = leadership;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        while (await Ticks.NextAsync(timer, stoppingToken))
        {
            if (!_leadership.IsLeader)
                continue; // one availability series per station, written by the leading instance
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var at = now - now % (long)_interval.TotalMilliseconds;
            try
            {
                foreach (var snapshot in _cache.Snapshot())
                {
                    var summary = _views.Summarize(snapshot, []);
                    await _events.WriteAsync(PointData.Create("station_status")
                        .Tag("station", snapshot.Id).Tag("site", snapshot.Site).Tag("gateway", snapshot.Gateway ?? "")
                        .Field("online", summary.Online ? 1L : 0L).Field("stale", summary.Stale ? 1L : 0L)
                        .Timestamp(at), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                return;
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.Data.Common.DbException)
            {
                _logger.LogWarning(ex, "Availability sample skipped.");
            }
        }
    }
}
