using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Irrigation.Server.Tests.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Irrigation.Server.Tests;

/// <summary>
/// The server in-process (WebApplicationFactory): what the API answers — status codes, problem codes, the shape of
/// its documents — without broker or InfluxDB (ingestion and commands keep retrying in the background). Whole
/// journeys through the real stack are in the end-to-end tests (OperatorApiTests, AlarmEndToEndTests).
/// </summary>
public sealed class ApiShapeTests : IClassFixture<InProcessServer>
{
    private readonly InProcessServer _factory;

    public ApiShapeTests(InProcessServer factory) => _factory = factory;

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(code, problem["code"]!.GetValue<string>());
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()));
        return problem;
    }

    [Fact]
    public async Task Unauthenticated_AnyApi_401Problem()
    {
        using var client = _factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/api/stations", UriKind.Relative));
        await ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task SignIn_WrongPassword401_MissingFields400_RightOneGivesTheSession()
    {
        using var client = _factory.CreateClient();
        using (var wrong = await client.PostAsJsonAsync("/api/auth/login", new { username = "viewer", password = "not-the-password" }))
            await ProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid_credentials");
        using (var empty = await client.PostAsJsonAsync("/api/auth/login", new { username = "viewer" }))
            await ProblemAsync(empty, HttpStatusCode.BadRequest, "invalid_request");

        using var viewer = await _factory.SignInAsync("viewer");
        var me = JsonNode.Parse(await viewer.GetStringAsync(new Uri("/api/auth/me", UriKind.Relative)))!.AsObject();
        Assert.Equal(["username", "displayName", "role", "csrfToken", "staleAfterMs"], me.Select(p => p.Key));
        Assert.Equal("viewer", me["role"]!.GetValue<string>());
        Assert.Equal(180_000, me["staleAfterMs"]!.GetValue<long>());
    }

    [Fact]
    public async Task UnknownApiPath_404Problem_NotTheWebApp()
    {
        using var viewer = await _factory.SignInAsync("viewer");
        using var response = await viewer.GetAsync(new Uri("/api/no-such-thing", UriKind.Relative));
        await ProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Commands_ViewerForbidden_BadActionAndMissingKey400_UnknownStation404()
    {
        using var viewer = await _factory.SignInAsync("viewer");
        using (var forbidden = await viewer.PostAsJsonAsync("/api/stations/st001/pumps/1/commands", new { action = "start" }))
            await ProblemAsync(forbidden, HttpStatusCode.Forbidden, "forbidden");

        using var operatorClient = await _factory.SignInAsync("operator");
        using (var noKey = await operatorClient.PostAsJsonAsync("/api/stations/st001/pumps/1/commands", new { action = "start" }))
            await ProblemAsync(noKey, HttpStatusCode.BadRequest, "idempotency_key_required");
        using (var badAction = await operatorClient.PostAsJsonAsync("/api/stations/st001/pumps/1/commands", new { action = "launch" }))
            await ProblemAsync(badAction, HttpStatusCode.BadRequest, "invalid_action");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/stations/no-such-station/pumps/1/commands") { Content = JsonContent.Create(new { action = "start" }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using (var unknown = await operatorClient.SendAsync(request))
            await ProblemAsync(unknown, HttpStatusCode.NotFound, "station_not_found");
        using (var noCommand = await operatorClient.GetAsync(new Uri("/api/commands/nope", UriKind.Relative)))
            await ProblemAsync(noCommand, HttpStatusCode.NotFound, "command_not_found");
    }

    [Fact]
    public async Task Alarms_BadState400_UnknownAlarm404_EmptyListIsAnArray()
    {
        using var viewer = await _factory.SignInAsync("viewer");
        using (var bad = await viewer.GetAsync(new Uri("/api/alarms?state=burning", UriKind.Relative)))
            await ProblemAsync(bad, HttpStatusCode.BadRequest, "invalid_state");
        using (var none = await viewer.GetAsync(new Uri("/api/alarms/nope", UriKind.Relative)))
            await ProblemAsync(none, HttpStatusCode.NotFound, "alarm_not_found");
        Assert.IsType<JsonArray>(JsonNode.Parse(await viewer.GetStringAsync(new Uri("/api/alarms", UriKind.Relative))));
    }

    [Fact]
    public async Task Health_LiveButNotReadyWithoutBroker_MetricsUnderTheDocumentedNames()
    {
        using var client = _factory.CreateClient();
        Assert.Equal("""{"status":"live"}""", await client.GetStringAsync(new Uri("/health/live", UriKind.Relative)));
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["status", "mqtt", "mqttSubscribed", "mqttBroker", "influx", "schema", "spoolPending", "replicas"], body.Select(p => p.Key));
        Assert.Equal("not_ready", body["status"]!.GetValue<string>());

        var metrics = PrometheusText.Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        foreach (var name in new[]
                 {
                     "irrigation_ingest_received_total", "irrigation_ingest_stored_total", "irrigation_ingest_points_written_total", "irrigation_ingest_spooled_points_total",
                     "irrigation_ingest_replayed_points_total", "irrigation_ingest_influx_rejected_points_total", "irrigation_ingest_dropped_total{reason=\"bad_value\"}",
                     "irrigation_spool_pending_batches", "irrigation_spool_bytes", "irrigation_mqtt_connected", "irrigation_mqtt_subscriptions_granted", "irrigation_commands_mqtt_connected",
                     "irrigation_command_results_malformed_total", "irrigation_alarms_open{severity=\"critical\"}", "irrigation_alarm_notifications_dropped_total",
                     "irrigation_live_clients", "irrigation_live_events_dropped_total",
                 })
        {
            Assert.True(metrics.ContainsKey(name), $"/metrics lacks {name}");
        }

        Assert.Equal(0, metrics["irrigation_mqtt_connected"]);
        Assert.DoesNotContain(metrics.Keys, k => k.StartsWith("irrigation_uplink_", StringComparison.Ordinal)); // the uplink is off here
    }

    [Fact]
    public async Task OpenApi_DescribesTheTypedResults()
    {
        using var client = _factory.CreateClient();
        var document = JsonNode.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)))!;
        var alarm = document["paths"]!["/api/alarms/{id}"]!["get"]!["responses"]!["200"]!;
        Assert.NotNull(alarm["content"]!["application/json"]);
        var accepted = document["paths"]!["/api/stations/{id}/pumps/{pump}/commands"]!["post"]!["responses"]!;
        Assert.NotNull(accepted["202"]);
        var report = document["paths"]!["/api/reports/towns/{town}"]!["get"]!["responses"]!;
        Assert.NotNull(report["200"]!["content"]!["application/json"]!["schema"]);
        Assert.NotNull(report["200"]!["content"]!["application/pdf"]);
        Assert.NotNull(report["200"]!["content"]!["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]);
        Assert.NotNull(report["404"]);
        Assert.NotNull(document["paths"]!["/api/reports/acceptance-pack"]!["get"]!["responses"]!["200"]!["content"]!["application/zip"]);
    }
}
