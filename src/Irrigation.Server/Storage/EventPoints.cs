using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Write;

namespace Irrigation.Server.Storage;

/// <summary>Low-rate event points (commands, alarms) for Grafana, queued without holding up the caller.</summary>
internal static class EventPoints
{
    /// <summary>Queues the point on the events writer; a point that cannot be queued is logged, never thrown at the caller.</summary>
    public static void Enqueue(this InfluxBatchWriter writer, PointData point, ILogger logger) =>
        _ = writer.WriteAsync(point, CancellationToken.None).AsTask().ContinueWith(
            t => logger.LogWarning(t.Exception, "{Measurement} event not queued for InfluxDB.", point.Measurement),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
}
