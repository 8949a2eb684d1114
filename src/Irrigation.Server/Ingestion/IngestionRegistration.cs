using Irrigation.Influx.Write;
using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Irrigation.Server.Storage;
using Irrigation.Spool;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Ingestion;

/// <summary>MQTT telemetry into InfluxDB with nothing lost: its MQTT session, write client, spool, replay and metrics.</summary>
public static class IngestionRegistration
{
    public static IServiceCollection AddIngestion(this IServiceCollection services)
    {
        services.AddFeatureOptions<IngestOptions>();
        services.AddFeatureOptions<ServerMqttOptions>();
        services.AddSingleton<IngestionMetrics>();
        services.TryAddSingleton<ILateTelemetryListener, NoLateTelemetryListener>();
        services.TryAddSingleton<IStoredSequenceListener, NoStoredSequenceListener>();

        // Persistent session, manual acks: PUBACK only once a message is durable (InfluxDB or the spool).
        services.AddSingleton(sp =>
        {
            var mqtt = sp.GetRequiredService<IOptions<ServerMqttOptions>>().Value;
            return new MqttSession<IngestionService>(ServerMqttClientFactory.Create(mqtt, "", sp.GetRequiredService<ILoggerFactory>().CreateLogger("mqtt.ingestion"), o =>
            {
                o.ManualAck = true;
                o.InboundCapacity = mqtt.InboundCapacity;
                o.ReceiveMaximum = mqtt.ReceiveMaximum;
                // Any packet the protocol allows: a telemetry message over a client limit would be discarded by the broker (MQTT 5)
                // or break the connection again and again (3.1.1). Read whole, the decoder drops it (TooLarge, over 64 KiB) and
                // it is acknowledged and counted. Bound its size at the broker (max_packet_size).
                o.MaxPacketSize = Irrigation.Mqtt.Client.MqttClientOptions.ProtocolMaxPacketSize;
            }));
        });
        services.AddSingleton(sp =>
        {
            var ingest = sp.GetRequiredService<IOptions<IngestOptions>>().Value;
            var options = sp.GetRequiredService<IOptions<ServerInfluxOptions>>().Value.WriteOptions();
            options.BatchSize = ingest.BatchPoints;
            options.Timeout = ingest.WriteAttemptTimeout;
            return new InfluxWriteClient(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger<InfluxWriteClient>());
        });
        services.AddSingleton(sp =>
        {
            var ingest = sp.GetRequiredService<IOptions<IngestOptions>>().Value;
            var directory = Path.Combine(sp.GetRequiredService<IOptions<SiteOptions>>().Value.DataPath(), "spool");
            return DurableQueue.Open(
                new DurableQueueOptions { Directory = directory, MaxBytes = ingest.SpoolMaxBytes, SegmentBytes = ingest.SpoolSegmentBytes, DropOldestWhenFull = false },
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("spool"));
        });
        services.AddSingleton<IngestionService>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestionService>());
        services.AddHostedService<SpoolReplayer>();
        return services;
    }
}
