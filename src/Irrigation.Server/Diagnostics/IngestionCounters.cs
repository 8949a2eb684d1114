using System.Globalization;
using System.Text;
using Irrigation.Server.Ingestion;

namespace Irrigation.Server.Diagnostics;

/// <summary>The ingestion loop's counters, exposed in Prometheus text format on /metrics.</summary>
public sealed class IngestionCounters
{
    private static readonly double[] LatencyBucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _latencyBuckets = new long[LatencyBucketsSeconds.Length + 1];
    private long _received;
    private long _messagesStored;
    private long _points;
    private long _fields;
    private long _batches;
    private long _spooledBatches;
    private long _spooledPoints;
    private long _replayedBatches;
    private long _replayedPoints;
    private long _influxDropped;
    private long _latencySumMicros;
    private long _latencyCount;

    public long Received => Interlocked.Read(ref _received);

    public long MessagesStored => Interlocked.Read(ref _messagesStored);

    public long PointsWritten => Interlocked.Read(ref _points);

    public long SpooledPoints => Interlocked.Read(ref _spooledPoints);

    public long ReplayedPoints => Interlocked.Read(ref _replayedPoints);

    public long Dropped(DropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    public long InfluxDroppedPoints => Interlocked.Read(ref _influxDropped);

    internal void OnReceived() => Interlocked.Increment(ref _received);

    internal void OnStored() => Interlocked.Increment(ref _messagesStored);

    internal void OnDropped(DropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);

    internal void OnBadValues(int count) => Interlocked.Add(ref _dropped[(int)DropReason.BadValue], count);

    internal void OnWritten(int points, int fields, TimeSpan latency)
    {
        Interlocked.Add(ref _points, points);
        Interlocked.Add(ref _fields, fields);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _latencySumMicros, (long)(latency.TotalMilliseconds * 1000));
        Interlocked.Increment(ref _latencyCount);
        var seconds = latency.TotalSeconds;
        var bucket = 0;
        while (bucket < LatencyBucketsSeconds.Length && seconds > LatencyBucketsSeconds[bucket])
            bucket++;
        Interlocked.Increment(ref _latencyBuckets[bucket]);
    }

    internal void OnSpooled(int points)
    {
        Interlocked.Increment(ref _spooledBatches);
        Interlocked.Add(ref _spooledPoints, points);
    }

    internal void OnReplayed(int points)
    {
        Interlocked.Increment(ref _replayedBatches);
        Interlocked.Add(ref _replayedPoints, points);
    }

    internal void OnInfluxDropped(int points) => Interlocked.Add(ref _influxDropped, points);

    /// <summary>Prometheus text exposition format 0.0.4.</summary>
    public string ToPrometheus(long spoolPending, long spoolBytes, bool mqttConnected)
    {
        var sb = new StringBuilder(2048);
        void Counter(string name, string help, long value)
        {
            sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");
        }

        Counter("irrigation_ingest_received_total", "Telemetry messages received from MQTT.", Received);
        Counter("irrigation_ingest_stored_total", "Telemetry messages stored (InfluxDB or spool).", MessagesStored);
        Counter("irrigation_ingest_points_written_total", "Points written to InfluxDB directly.", PointsWritten);
        Counter("irrigation_ingest_fields_written_total", "Fields written to InfluxDB directly.", Interlocked.Read(ref _fields));
        Counter("irrigation_ingest_batches_total", "Batches written to InfluxDB directly.", Interlocked.Read(ref _batches));
        Counter("irrigation_ingest_spooled_batches_total", "Batches appended to the on-disk spool while InfluxDB was unavailable.", Interlocked.Read(ref _spooledBatches));
        Counter("irrigation_ingest_spooled_points_total", "Points appended to the spool.", SpooledPoints);
        Counter("irrigation_ingest_replayed_batches_total", "Spooled batches written to InfluxDB.", Interlocked.Read(ref _replayedBatches));
        Counter("irrigation_ingest_replayed_points_total", "Spooled points written to InfluxDB.", ReplayedPoints);
        Counter("irrigation_ingest_influx_rejected_points_total", "Points InfluxDB rejected as malformed.", InfluxDroppedPoints);
        sb.Append("# HELP irrigation_ingest_dropped_total Messages (or values, for bad_value) not stored, by reason.\n# TYPE irrigation_ingest_dropped_total counter\n");
        foreach (var reason in Enum.GetValues<DropReason>())
            sb.Append(CultureInfo.InvariantCulture, $"irrigation_ingest_dropped_total{{reason=\"{Snake(reason)}\"}} {Dropped(reason)}\n");
        sb.Append("# HELP irrigation_ingest_batch_latency_seconds Time to write one batch to InfluxDB.\n# TYPE irrigation_ingest_batch_latency_seconds histogram\n");
        long cumulative = 0;
        for (var i = 0; i < LatencyBucketsSeconds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _latencyBuckets[i]);
            sb.Append(CultureInfo.InvariantCulture, $"irrigation_ingest_batch_latency_seconds_bucket{{le=\"{LatencyBucketsSeconds[i]}\"}} {cumulative}\n");
        }

        cumulative += Interlocked.Read(ref _latencyBuckets[^1]);
        sb.Append(CultureInfo.InvariantCulture, $"irrigation_ingest_batch_latency_seconds_bucket{{le=\"+Inf\"}} {cumulative}\n");
        sb.Append(CultureInfo.InvariantCulture, $"irrigation_ingest_batch_latency_seconds_sum {Interlocked.Read(ref _latencySumMicros) / 1e6}\n");
        sb.Append(CultureInfo.InvariantCulture, $"irrigation_ingest_batch_latency_seconds_count {Interlocked.Read(ref _latencyCount)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"# HELP irrigation_spool_pending_batches Batches waiting in the spool.\n# TYPE irrigation_spool_pending_batches gauge\nirrigation_spool_pending_batches {spoolPending}\n");
        sb.Append(CultureInfo.InvariantCulture, $"# HELP irrigation_spool_bytes Bytes on disk in the spool.\n# TYPE irrigation_spool_bytes gauge\nirrigation_spool_bytes {spoolBytes}\n");
        sb.Append(CultureInfo.InvariantCulture, $"# HELP irrigation_mqtt_connected 1 when connected to the broker.\n# TYPE irrigation_mqtt_connected gauge\nirrigation_mqtt_connected {(mqttConnected ? 1 : 0)}\n");
        return sb.ToString();
    }

    private static string Snake(DropReason reason)
    {
        var name = reason.ToString();
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }

        return sb.ToString();
    }
}
