using Irrigation.Mqtt.Client;
using Irrigation.Server.Alarms;
using Irrigation.Server.Commands;
using Irrigation.Server.Events;
using Irrigation.Server.Ingestion;
using Irrigation.Spool;

namespace Irrigation.Server.Diagnostics;

/// <summary>Liveness, readiness and Prometheus metrics.</summary>
public static class OperationsApi
{
    /// <summary>Commands, alarms and live clients, after the ingestion metrics.</summary>
    private static string Operations(CommandDispatcher commands, AlarmStore alarms, AlarmNotifier notifier, EventHub hub)
    {
        var open = alarms.Open();
        var text = new System.Text.StringBuilder();
        void Metric(string name, string help, string type, string value) =>
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
        Metric("irrigation_commands_mqtt_connected", "1 while the command connection to the broker is up", "gauge", commands.Connected ? "1" : "0");
        Metric("irrigation_command_results_malformed_total", "Gateway command results that could not be read", "counter", commands.MalformedResults.ToString(System.Globalization.CultureInfo.InvariantCulture));
        text.Append("# HELP irrigation_alarms_open Alarms not cleared, by severity\n# TYPE irrigation_alarms_open gauge\n");
        foreach (var severity in new[] { "critical", "major", "minor" })
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"irrigation_alarms_open{{severity=\"{severity}\"}} {open.Count(a => a.Severity == severity)}\n");
        Metric("irrigation_alarm_notifications_dropped_total", "Alarm notifications dropped because the webhook queue was full", "counter", notifier.Dropped.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Metric("irrigation_live_clients", "Server-Sent Event subscribers", "gauge", hub.Subscribers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Metric("irrigation_live_events_dropped_total", "Live events dropped for slow subscribers", "counter", hub.Dropped.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return text.ToString();
    }

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
        app.MapGet("/metrics", (IngestionCounters counters, DurableQueue spool, IMqttClient mqtt, CommandDispatcher commands, AlarmStore alarms, AlarmNotifier notifier, EventHub hub) =>
            Results.Text(counters.ToPrometheus(spool.Count, spool.Bytes, mqtt.IsConnected) + Operations(commands, alarms, notifier, hub), "text/plain; version=0.0.4"));
    }
}
