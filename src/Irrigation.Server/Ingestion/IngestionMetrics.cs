using System.Diagnostics.Metrics;
using Irrigation.Server.Observability;

using Irrigation.Server.Messaging;

namespace Irrigation.Server.Ingestion;

/// <summary>
/// The ingestion loop's instruments (meter <see cref="ServerMeters.Name"/>), exported on /metrics by the Prometheus
/// exporter: counters become <c>irrigation_ingest_…_total</c>, the batch latency histogram
/// <c>irrigation_ingest_batch_latency_seconds</c>. Recording costs no allocation (the drop reason and replica tags are
/// made once). The <c>irrigation_ingest_…</c> write, spool and replay counters and the <c>irrigation_spool_…</c> gauges
/// add up every replica; <c>irrigation_timeseries_…{replica="name"}</c> gives each replica's own.
/// </summary>
public sealed class IngestionMetrics
{
    private static readonly double[] LatencyBucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _received;
    private readonly Counter<long> _stored;
    private readonly Counter<long> _points;
    private readonly Counter<long> _fields;
    private readonly Counter<long> _batches;
    private readonly Counter<long> _spooledBatches;
    private readonly Counter<long> _spooledPoints;
    private readonly Counter<long> _replayedBatches;
    private readonly Counter<long> _replayedPoints;
    private readonly Counter<long> _influxRejected;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _replicaWritten;
    private readonly Counter<long> _replicaSpooled;
    private readonly Counter<long> _replicaReplayed;
    private readonly KeyValuePair<string, object?>[] _reasonTags;
    private readonly KeyValuePair<string, object?>[] _replicaTags;

    public IngestionMetrics(IMeterFactory meters, ReplicaSpools replicas, MqttSession<IngestionService> mqtt)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(mqtt);
        var meter = ServerMeters.Create(meters);
        var all = replicas.All;
        _replicaTags = all.Select(r => new KeyValuePair<string, object?>("replica", r.Replica.Name)).ToArray();
        meter.CreateObservableGauge("irrigation_spool_pending_batches", () => all.Sum(r => r.Spool.Count), description: "Batches waiting in the spools, every replica's added up.");
        meter.CreateObservableGauge("irrigation_spool_bytes", () => all.Sum(r => r.Spool.Bytes), description: "Bytes on disk in the spools, every replica's added up.");
        meter.CreateObservableGauge("irrigation_timeseries_replica_pending_batches", () => all.Select(r => new Measurement<long>(r.Spool.Count, _replicaTags[r.Replica.Index])),
            description: "Batches waiting in this replica's spool.");
        meter.CreateObservableGauge("irrigation_timeseries_replica_spool_bytes", () => all.Select(r => new Measurement<long>(r.Spool.Bytes, _replicaTags[r.Replica.Index])),
            description: "Bytes on disk in this replica's spool.");
        meter.CreateObservableGauge("irrigation_timeseries_replica_healthy", () => all.Select(r => new Measurement<int>(r.Replica.Healthy ? 1 : 0, _replicaTags[r.Replica.Index])),
            description: "1 while the last write to this replica succeeded.");
        meter.CreateObservableGauge("irrigation_timeseries_replica_caught_up", () => all.Select(r => new Measurement<int>(r.Replica.CaughtUp ? 1 : 0, _replicaTags[r.Replica.Index])),
            description: "1 while this replica is healthy and its spool is empty: it may answer queries.");
        meter.CreateObservableCounter("irrigation_timeseries_query_failovers", () => all.Select(r => new Measurement<long>(r.Replica.QueryFailovers, _replicaTags[r.Replica.Index])),
            description: "Queries that could not reach this replica and went to the next.");
        _replicaWritten = meter.CreateCounter<long>("irrigation_timeseries_written_points", description: "Points written directly to this replica.");
        _replicaSpooled = meter.CreateCounter<long>("irrigation_timeseries_spooled_points", description: "Points appended to this replica's spool.");
        _replicaReplayed = meter.CreateCounter<long>("irrigation_timeseries_replayed_points", description: "Points written to this replica from its spool.");
        meter.CreateObservableGauge("irrigation_mqtt_connected", () => mqtt.Client.IsConnected ? 1 : 0, description: "1 when connected to the broker.");
        meter.CreateObservableGauge("irrigation_mqtt_subscriptions_granted", () => mqtt.Client.SubscriptionsGranted ? 1 : 0, description: "1 while the ingestion's subscriptions are granted on its connection.");
        _received = meter.CreateCounter<long>("irrigation_ingest_received", description: "Telemetry messages received from MQTT.");
        _stored = meter.CreateCounter<long>("irrigation_ingest_stored", description: "Telemetry messages stored (InfluxDB or spool).");
        _points = meter.CreateCounter<long>("irrigation_ingest_points_written", description: "Points written to InfluxDB directly.");
        _fields = meter.CreateCounter<long>("irrigation_ingest_fields_written", description: "Fields written to InfluxDB directly.");
        _batches = meter.CreateCounter<long>("irrigation_ingest_batches", description: "Batches written to InfluxDB directly.");
        _spooledBatches = meter.CreateCounter<long>("irrigation_ingest_spooled_batches", description: "Batches appended to the on-disk spool while InfluxDB was unavailable.");
        _spooledPoints = meter.CreateCounter<long>("irrigation_ingest_spooled_points", description: "Points appended to the spool.");
        _replayedBatches = meter.CreateCounter<long>("irrigation_ingest_replayed_batches", description: "Spooled batches written to InfluxDB.");
        _replayedPoints = meter.CreateCounter<long>("irrigation_ingest_replayed_points", description: "Spooled points written to InfluxDB.");
        _influxRejected = meter.CreateCounter<long>("irrigation_ingest_influx_rejected_points", description: "Points InfluxDB rejected as malformed.");
        _dropped = meter.CreateCounter<long>("irrigation_ingest_dropped", description: "Messages (or values, for bad_value) not stored, by reason.");
        _latency = meter.CreateHistogram("irrigation_ingest_batch_latency", unit: "s", description: "Time to write one batch to InfluxDB.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsSeconds });
        _reasonTags = Enum.GetValues<DropReason>().Select(r => new KeyValuePair<string, object?>("reason", r.ToSnakeCase())).ToArray();

        // Every series from the start, at 0: a rate() over a series that first appears later misses its first count.
        foreach (var tag in _reasonTags)
            _dropped.Add(0, tag);
        foreach (var counter in new[] { _received, _stored, _points, _fields, _batches, _spooledBatches, _spooledPoints, _replayedBatches, _replayedPoints, _influxRejected })
            counter.Add(0);
        foreach (var tag in _replicaTags)
        {
            _replicaWritten.Add(0, tag);
            _replicaSpooled.Add(0, tag);
            _replicaReplayed.Add(0, tag);
        }
    }

    /// <summary>A batch handed on to be written: its messages count as received and stored (decoded into it) from here.</summary>
    internal void OnBatchDecoded(int received, int stored)
    {
        _received.Add(received);
        _stored.Add(stored);
    }

    internal void OnDropped(DropReason reason) => _dropped.Add(1, _reasonTags[(int)reason]);

    internal void OnBadValues(int count) => _dropped.Add(count, _reasonTags[(int)DropReason.BadValue]);

    internal void OnWritten(int replica, int points, int fields, TimeSpan latency)
    {
        _replicaWritten.Add(points, _replicaTags[replica]);
        _points.Add(points);
        _fields.Add(fields);
        _batches.Add(1);
        _latency.Record(latency.TotalSeconds);
    }

    internal void OnSpooled(int replica, int points)
    {
        _replicaSpooled.Add(points, _replicaTags[replica]);
        _spooledBatches.Add(1);
        _spooledPoints.Add(points);
    }

    internal void OnReplayed(int replica, int points)
    {
        _replicaReplayed.Add(points, _replicaTags[replica]);
        _replayedBatches.Add(1);
        _replayedPoints.Add(points);
    }

    internal void OnInfluxDropped(int points) => _influxRejected.Add(points);
}
