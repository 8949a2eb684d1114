using Irrigation.Influx.Write;
using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Irrigation.Server.Storage;
using Irrigation.Spool;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Ingestion;

/// <summary>MQTT telemetry into InfluxDB with nothing lost: its MQTT session, per replica a write client and a spool, replay and metrics.</summary>
public static class IngestionRegistration
{
    public static IServiceCollection AddIngestion(this IServiceCollection services)
    {
        services.AddFeatureOptions<IngestOptions>();
        services.AddFeatureOptions<ServerMqttOptions>();
        services.AddSingleton<IngestionMetrics>();
        services.TryAddSingleton<ILateTelemetryListener, NoLateTelemetryListener>();
        services.TryAddSingleton<IStoredSequenceListener, NoStoredSequenceListener>();
        services.AddFeatureOptions<SharedStreamOptions>();

        // Persistent session, manual acks: PUBACK only once a message is durable (InfluxDB or the spool).
        services.AddSingleton(sp =>
        {
            var mqtt = sp.GetRequiredService<IOptions<ServerMqttOptions>>().Value;
            var shared = sp.GetRequiredService<IOptions<SharedStreamOptions>>().Value.Enabled;
            return new MqttSession<IngestionService>(ServerMqttClientFactory.Create(mqtt, ServerMqttClientFactory.IngestionSession, sp.GetRequiredService<ILoggerFactory>().CreateLogger("mqtt.ingestion"), o =>
            {
                // With a shared stream this session carries only station and gateway status, acknowledged on receipt.
                o.ManualAck = !shared;
                o.InboundCapacity = mqtt.InboundCapacity;
                o.ReceiveMaximum = mqtt.ReceiveMaximum;
                // Any packet the protocol allows: a telemetry message over a client limit would be discarded by the broker (MQTT 5)
                // or break the connection again and again (3.1.1). Read whole, the decoder drops it (TooLarge, over 64 KiB) and
                // it is acknowledged and counted. Bound its size at the broker (max_packet_size).
                o.MaxPacketSize = Irrigation.Mqtt.Client.MqttClientOptions.ProtocolMaxPacketSize;
            }));
        });
        // Every time-series replica gets its own write client and its own spool, drained by its own replay loop.
        services.AddSingleton(sp =>
        {
            var ingest = sp.GetRequiredService<IOptions<IngestOptions>>().Value;
            var influx = sp.GetRequiredService<IOptions<ServerInfluxOptions>>().Value;
            var dataPath = sp.GetRequiredService<IOptions<SiteOptions>>().Value.DataPath();
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            return new ReplicaSpools(sp.GetRequiredService<TimeSeriesReplicas>().All.Select(replica =>
            {
                var options = replica.WriteOptions();
                options.BatchSize = ingest.BatchPoints;
                options.Timeout = ingest.WriteAttemptTimeout;
                var spool = DurableQueue.Open(
                    new DurableQueueOptions { Directory = ReplicaSpools.DirectoryOf(dataPath, replica, influx.Replicas.Count > 0), MaxBytes = ingest.SpoolMaxBytes, SegmentBytes = ingest.SpoolSegmentBytes, DropOldestWhenFull = false },
                    loggers.CreateLogger("spool"));
                return new ReplicaSpool(replica, new InfluxWriteClient(options, loggers.CreateLogger<InfluxWriteClient>()), spool);
            }).ToList());
        });
        // Telemetry from the MQTT session (one instance), or this instance's share of the cluster's stream plus a view of all of it.
        services.AddSingleton(sp => new SharedStreamConnection(
            sp.GetRequiredService<IOptions<SharedStreamOptions>>(), ServerMqttClientFactory.ClientId(sp.GetRequiredService<IOptions<ServerMqttOptions>>().Value),
            sp.GetRequiredService<ILogger<SharedStreamConnection>>()));
        services.AddSingleton<ITelemetryInbox>(sp => sp.GetRequiredService<IOptions<SharedStreamOptions>>().Value.Enabled
            ? ActivatorUtilities.CreateInstance<JetStreamTelemetryInbox>(sp)
            : ActivatorUtilities.CreateInstance<MqttTelemetryInbox>(sp));
        services.AddSingleton<StationViewFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<StationViewFeed>());
        services.AddSingleton<IngestionService>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestionService>());
        services.AddHostedService<SpoolReplayer>();
        return services;
    }
}
