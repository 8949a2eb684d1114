using Microsoft.AspNetCore.Http.HttpResults;
using Irrigation.Server.Ingestion;
using Irrigation.Server.Observability;
using Irrigation.Server.Storage;
using Irrigation.Spool;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Irrigation.Server.Diagnostics;

/// <summary>
/// GET /health/ready: 200 when telemetry can be taken without loss, else 503 with the same body. <see cref="Mqtt"/>:
/// connected; <see cref="MqttSubscribed"/>: the telemetry subscriptions granted on that connection; <see cref="MqttBroker"/>:
/// which broker node ("host:port", null while disconnected).
/// </summary>
public sealed record ReadinessResponse(string Status, bool Mqtt, bool MqttSubscribed, string? MqttBroker, bool Influx, bool Schema, long SpoolPending);

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
        app.MapGet("/health/ready", Results<Ok<ReadinessResponse>, JsonHttpResult<ReadinessResponse>> (IngestionService ingestion, InfluxSchema schema, DurableQueue spool, IOptions<IngestOptions> options) =>
        {
            // Ready = can take telemetry without losing it: connected to the broker with the subscriptions granted, and InfluxDB or the spool can store.
            var spoolHasRoom = spool.Bytes < options.Value.SpoolMaxBytes;
            var subscribed = ingestion.MqttSubscribed;
            var ready = ingestion.MqttConnected && subscribed && ((ingestion.InfluxHealthy && schema.Ready) || spoolHasRoom);
            var body = new ReadinessResponse(ready ? "ready" : "not_ready", ingestion.MqttConnected, subscribed, ingestion.MqttBroker, ingestion.InfluxHealthy, schema.Ready, spool.Count);
            return ready ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
