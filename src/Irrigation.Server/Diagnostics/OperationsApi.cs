using Irrigation.Mqtt.Client;
using Irrigation.Server.Ingestion;
using Irrigation.Spool;

namespace Irrigation.Server.Diagnostics;

/// <summary>Liveness, readiness and Prometheus metrics.</summary>
public static class OperationsApi
{
    public static void MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));
        app.MapGet("/health/ready", (IMqttClient mqtt, InfluxSchema schema, DurableQueue spool, IngestionService ingestion, Configuration.ServerOptions options) =>
        {
            // Ready = can take telemetry without losing it: connected to the broker, and InfluxDB or the spool can store.
            var spoolHasRoom = spool.Bytes < options.Ingest.SpoolMaxBytes;
            var ready = mqtt.IsConnected && ((ingestion.InfluxHealthy && schema.Ready) || spoolHasRoom);
            var body = new { status = ready ? "ready" : "not_ready", mqtt = mqtt.IsConnected, influx = ingestion.InfluxHealthy, schema = schema.Ready, spoolPending = spool.Count };
            return ready ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/metrics", (IngestionCounters counters, DurableQueue spool, IMqttClient mqtt) =>
            Results.Text(counters.ToPrometheus(spool.Count, spool.Bytes, mqtt.IsConnected), "text/plain; version=0.0.4"));
    }
}
