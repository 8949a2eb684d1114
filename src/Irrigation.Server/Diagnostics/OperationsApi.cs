using Microsoft.AspNetCore.Http.HttpResults;
using Irrigation.Server.Ingestion;
using Irrigation.Server.Observability;
using Irrigation.Server.Storage;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Irrigation.Server.Diagnostics;

/// <summary>
/// GET /health/ready: 200 when telemetry can be taken without loss, else 503 with the same body. <c>mqtt</c>: connected;
/// <c>mqttSubscribed</c>: the telemetry subscriptions granted on that connection; <c>mqttBroker</c>: which node;
/// <c>influx</c> is true while every replica's last write succeeded; <c>spoolPending</c> adds up every replica's spool.
/// </summary>
public sealed record ReadinessResponse(string Status, bool Mqtt, bool MqttSubscribed, string? MqttBroker, bool Influx, bool Schema, long SpoolPending, IReadOnlyList<ReplicaReadiness> Replicas);

/// <summary>
/// One time-series replica: <c>healthy</c> = its last write succeeded; <c>caughtUp</c> = healthy with an empty spool
/// (it may answer queries); <c>canStore</c> = written or spooled without loss now.
/// </summary>
public sealed record ReplicaReadiness(string Name, bool Healthy, bool CaughtUp, bool Schema, long SpoolPending, long SpoolBytes, bool CanStore);

/// <summary>Liveness, readiness and Prometheus metrics (every feature's instruments on the server's meter).</summary>
public static class OperationsApi
{
    /// <summary>The Prometheus exporter for the server's meter (features create their own instruments on it).</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMeters.Name)
            .AddPrometheusExporter(o =>
            {
                // The documented names only (irrigation_ingest_received_total …), no extra labels: dashboards and scripts match them exactly.
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        return services;
    }

    public static void MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));
        app.MapGet("/health/ready", Results<Ok<ReadinessResponse>, JsonHttpResult<ReadinessResponse>> (IngestionService ingestion, InfluxSchema schema, IOptions<IngestOptions> options) =>
        {
            // Ready = can take telemetry without losing it: connected to the broker with the subscriptions granted, and on every replica InfluxDB or its spool can store.
            var replicas = ingestion.Replicas.All.Select(r =>
            {
                var healthy = r.Replica.Healthy;
                var schemaReady = schema.ReadyOn(r.Replica);
                var canStore = (healthy && schemaReady) || r.Spool.Bytes < options.Value.SpoolMaxBytes;
                return new ReplicaReadiness(r.Replica.Name, healthy, r.Replica.CaughtUp, schemaReady, r.Spool.Count, r.Spool.Bytes, canStore);
            }).ToList();
            var subscribed = ingestion.MqttSubscribed;
            var ready = ingestion.MqttConnected && subscribed && replicas.All(r => r.CanStore);
            var body = new ReadinessResponse(ready ? "ready" : "not_ready", ingestion.MqttConnected, subscribed, ingestion.MqttBroker, ingestion.InfluxHealthy, schema.Ready, replicas.Sum(r => r.SpoolPending), replicas);
            return ready ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
