using Irrigation.Server.Alarms;
using Irrigation.Server.Configuration;
using Irrigation.Server.Observability;
using Irrigation.Sl651.Diagnostics;

namespace Irrigation.Server.Uplink;

/// <summary>The SL 651-2014 uplink to a water bureau's platform (docs/sl651.md); off unless <c>Irrigation:Uplink:Host</c> is set.</summary>
public static class UplinkRegistration
{
    public static IServiceCollection AddUplink(this IServiceCollection services)
    {
        services.AddFeatureOptions<UplinkOptions>();
        services.AddSingleton<UplinkQueueStore>();
        services.AddSingleton<UplinkStations>();
        services.AddSingleton<IAlarmEventListener, UplinkAlarmReports>();
        services.AddHostedService<UplinkWorker>();
        return services;
    }
}

/// <summary>
/// The uplink's counters on the server's meter (irrigation_uplink_*), read from the links' own counters. Made by
/// <see cref="UplinkWorker"/> only when the uplink is on: a server without a platform shows no uplink series.
/// </summary>
public sealed class UplinkMetrics
{
    public UplinkMetrics(UplinkStations stations, System.Diagnostics.Metrics.IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(stations);
        var meter = ServerMeters.Create(meters);
        var counters = stations.Counters;
        meter.CreateObservableCounter("irrigation_uplink_frames_sent", () => counters.Sent, description: "SL 651 frames sent to the platform (resends included).");
        meter.CreateObservableCounter("irrigation_uplink_frames_acknowledged", () => counters.Acknowledged, description: "SL 651 reports the platform acknowledged.");
        meter.CreateObservableCounter("irrigation_uplink_errors", () => Enum.GetValues<Sl651ErrorKind>()
            .Select(kind => new System.Diagnostics.Metrics.Measurement<long>(counters[kind], new KeyValuePair<string, object?>("kind", kind.ToSnakeCase()))), description: "SL 651 link errors by kind (bad frames, CRC, timeouts, refused commands).");
        meter.CreateObservableGauge("irrigation_uplink_queued_frames", stations.QueuedFrames, description: "SL 651 frames in the server database waiting for the platform's acknowledgement (every instance reports the shared queue).");
        meter.CreateObservableCounter("irrigation_uplink_reports_refused", () => stations.All.Sum(s => s.Refused), description: "SL 651 reports refused because a station's queue was full.");
    }
}
