using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Server.Tests.TestSupport;
using Irrigation.Testing;

namespace Irrigation.Server.Tests;

/// <summary>The whole system for the operator API tests: real broker, influxd, simulator, gateway and server.</summary>
public sealed class OperatorStackFixture : IAsyncLifetime
{
    public SystemStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var options = new SystemStackOptions { Stations = 3 };
        options.ServerEnvironment["Irrigation__Auth__LockoutFailures"] = "3";
        options.ServerEnvironment["Irrigation__Auth__SignInAttemptsPerMinute"] = "1000"; // every test signs in; the limit has its own test
        Stack = await SystemStack.StartAsync("operator-api", options);
        await Stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(30));
        await Stack.WaitForStationOnlineAsync("st002", TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

/// <summary>
/// The operators' API against the running system: sign-in and roles, CSRF, lock-out, tokens, closed-loop pump
/// commands with idempotency keys, the audit trail, history, live events and the OpenAPI document.
/// </summary>
[Collection("SystemFlows")]
public sealed class OperatorApiTests : IClassFixture<OperatorStackFixture>
{
    private static readonly TimeSpan CommandWait = TimeSpan.FromSeconds(30);
    private readonly SystemStack _stack;

    public OperatorApiTests(OperatorStackFixture fixture) => _stack = fixture.Stack;

    internal static async Task<HttpResponseMessage> CommandAsync(HttpClient client, string station, int pump, string action, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/stations/{station}/pumps/{pump}/commands") { Content = JsonContent.Create(new { action }) };
        request.Headers.Add("Idempotency-Key", key ?? Guid.NewGuid().ToString());
        return await client.SendAsync(request);
    }

    internal static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    internal static async Task<JsonObject> WaitForFinalAsync(HttpClient client, string id, TimeSpan timeout) =>
        await Poll.UntilAsync(
            async () => JsonNode.Parse(await client.GetStringAsync(new Uri($"api/commands/{id}", UriKind.Relative)))!.AsObject(),
            c => c["state"]!.GetValue<string>() is not ("pending" or "sent"), timeout, TimeSpan.FromMilliseconds(200));

    private static async Task<bool?> PumpRunningAsync(HttpClient client, string station, int pump)
    {
        var s = JsonNode.Parse(await client.GetStringAsync(new Uri($"api/stations/{station}", UriKind.Relative)))!;
        return s["pumps"]!.AsArray().Single(p => p!["number"]!.GetValue<int>() == pump)!["running"]?.GetValue<bool>();
    }

    private async Task<JsonArray> AuditAsync(string? station = null)
    {
        using var admin = await _stack.SignInAsync("admin");
        return JsonNode.Parse(await admin.GetStringAsync(new Uri("api/audit?limit=1000" + (station is null ? "" : "&station=" + station), UriKind.Relative)))!.AsArray();
    }

    [Fact]
    public async Task Operator_StartsAndStopsPump_SucceededAndFeedbackShowsIt_AuditHasEveryStep()
    {
        using var client = await _stack.SignInAsync("operator");

        using var start = await CommandAsync(client, "st001", 1, "start");
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var command = await JsonAsync(start);
        Assert.Equal($"/api/commands/{command["id"]}", start.Headers.Location?.ToString());
        Assert.Contains(command["state"]!.GetValue<string>(), new[] { "pending", "sent", "succeeded" });
        var final = await WaitForFinalAsync(client, command["id"]!.GetValue<string>(), CommandWait);
        Assert.Equal("succeeded", final["state"]!.GetValue<string>());
        Assert.True(await _stack.Simulator.PumpRunningAsync("st001", 1));
        // What the station page shows comes from feedback telemetry, which follows within a poll or two.
        Assert.Equal(true, await Poll.UntilAsync(() => PumpRunningAsync(client, "st001", 1), r => r == true, TimeSpan.FromSeconds(15)));

        using var stop = await CommandAsync(client, "st001", 1, "stop");
        var stopped = await WaitForFinalAsync(client, (await JsonAsync(stop))["id"]!.GetValue<string>(), CommandWait);
        Assert.Equal("succeeded", stopped["state"]!.GetValue<string>());
        Assert.Equal(false, await Poll.UntilAsync(() => PumpRunningAsync(client, "st001", 1), r => r == false, TimeSpan.FromSeconds(15)));

        var audit = await AuditAsync("st001");
        var mine = audit.Where(e => e!["detail"]?.GetValue<string>()?.Contains(command["id"]!.GetValue<string>(), StringComparison.Ordinal) == true).ToList();
        Assert.Contains(mine, e => e!["action"]!.GetValue<string>() == "command.request" && e["outcome"]!.GetValue<string>() == "accepted" && e["actor"]!.GetValue<string>() == "operator" && e["address"]!.GetValue<string>() == "127.0.0.1");
        Assert.Contains(mine, e => e!["action"]!.GetValue<string>() == "command.state" && e["outcome"]!.GetValue<string>() == "sent");
        Assert.Contains(mine, e => e!["action"]!.GetValue<string>() == "command.state" && e["outcome"]!.GetValue<string>() == "succeeded");
    }

    [Fact]
    public async Task Viewer_StartPump_403AndAudited_PumpNeverStarts()
    {
        using var viewer = await _stack.SignInAsync("viewer");
        using var maintenance = await _stack.SignInAsync("maintenance");

        using var response = await CommandAsync(viewer, "st003", 2, "start");
        using var fromMaintenance = await CommandAsync(maintenance, "st003", 2, "start");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, fromMaintenance.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("forbidden", (await JsonAsync(response))["code"]!.GetValue<string>());
        Assert.False(await _stack.Simulator.PumpRunningAsync("st003", 2));
        var audit = await AuditAsync("st003");
        Assert.Contains(audit, e => e!["actor"]?.GetValue<string>() == "viewer" && e["action"]!.GetValue<string>() == "command.request" && e["outcome"]!.GetValue<string>() == "forbidden");
        Assert.Contains(audit, e => e!["actor"]?.GetValue<string>() == "maintenance" && e["outcome"]!.GetValue<string>() == "forbidden");
    }

    [Fact]
    public async Task SameIdempotencyKeyTwice_OneCommand_OtherRequestWithTheKey422()
    {
        using var client = await _stack.SignInAsync("operator");
        var key = "phone-click-" + Guid.NewGuid();

        using var first = await CommandAsync(client, "st002", 2, "start", key);
        using var again = await CommandAsync(client, "st002", 2, "start", key);
        using var other = await CommandAsync(client, "st002", 1, "start", key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var id = (await JsonAsync(first))["id"]!.GetValue<string>();
        Assert.Equal(id, (await JsonAsync(again))["id"]!.GetValue<string>());
        Assert.Equal((HttpStatusCode)422, other.StatusCode);
        Assert.Equal("idempotency_key_reused", (await JsonAsync(other))["code"]!.GetValue<string>());
        Assert.Equal("succeeded", (await WaitForFinalAsync(client, id, CommandWait))["state"]!.GetValue<string>());
        var commands = JsonNode.Parse(await client.GetStringAsync(new Uri("api/commands?station=st002&limit=100", UriKind.Relative)))!.AsArray();
        Assert.Single(commands, c => c!["pump"]!.GetValue<int>() == 2 && c["action"]!.GetValue<string>() == "start");
        // Every attempt is in the audit: the first accepted, the retry as a duplicate of the same command, the other refused.
        var requests = (await AuditAsync("st002")).Where(e => e!["action"]!.GetValue<string>() == "command.request" && e["detail"]?.GetValue<string>() is { } d && (d.StartsWith(id, StringComparison.Ordinal) || d.StartsWith("start", StringComparison.Ordinal))).ToList();
        Assert.Contains(requests, e => e!["outcome"]!.GetValue<string>() == "accepted" && e["detail"]!.GetValue<string>() == $"{id} start");
        Assert.Contains(requests, e => e!["outcome"]!.GetValue<string>() == "duplicate" && e["detail"]!.GetValue<string>().StartsWith($"{id} start", StringComparison.Ordinal));
        Assert.Contains(requests, e => e!["outcome"]!.GetValue<string>() == "idempotency_key_reused" && e["pump"]!.GetValue<int>() == 1);

        using var stop = await CommandAsync(client, "st002", 2, "stop");
        await WaitForFinalAsync(client, (await JsonAsync(stop))["id"]!.GetValue<string>(), CommandWait);
    }

    [Fact]
    public async Task Unauthenticated_401_WrongCsrf_403_BearerNeedsNoCsrf()
    {
        using var anonymous = _stack.CreateClient();
        using var noSession = await anonymous.GetAsync(new Uri("api/stations", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, noSession.StatusCode);
        Assert.Equal("unauthenticated", (await JsonAsync(noSession))["code"]!.GetValue<string>());

        using var withoutCsrf = _stack.CreateClient();
        using (var login = await withoutCsrf.PostAsJsonAsync("api/auth/login", new { username = "operator", password = SystemStack.Users["operator"].Password }))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var session = await JsonAsync(login);
            Assert.Equal(("operator", "operator", 180_000L), (session["username"]!.GetValue<string>(), session["role"]!.GetValue<string>(), session["staleAfterMs"]!.GetValue<long>()));
            Assert.DoesNotContain(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("irrigation.auth", StringComparison.Ordinal) && !c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        }
        using var refused = await CommandAsync(withoutCsrf, "st003", 1, "start");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("csrf", (await JsonAsync(refused))["code"]!.GetValue<string>());

        using var token = await anonymous.PostAsJsonAsync("api/auth/tokens", new { username = "viewer", password = SystemStack.Users["viewer"].Password, name = "scada" });
        Assert.Equal(HttpStatusCode.Created, token.StatusCode);
        using var bearer = _stack.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await JsonAsync(token))["token"]!.GetValue<string>());
        var stations = JsonNode.Parse(await bearer.GetStringAsync(new Uri("api/stations", UriKind.Relative)))!.AsArray();
        Assert.Equal(3, stations.Count);
        using var bearerLogout = await bearer.PostAsync(new Uri("api/auth/logout", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NoContent, bearerLogout.StatusCode); // a change without a CSRF header: fine for a bearer token

        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "irr_not-a-token");
        using var bad = await bearer.GetAsync(new Uri("api/stations", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }

    [Fact]
    public async Task WrongPasswordRepeatedly_LockedOutEvenWithTheRightOne_AndAudited()
    {
        using var admin = await _stack.SignInAsync("admin");
        using (var created = await admin.PostAsJsonAsync("api/users", new { username = "lockme", displayName = "锁定测试", role = "operator", password = "right-password-1" }))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var client = _stack.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await client.PostAsJsonAsync("api/auth/login", new { username = "lockme", password = "wrong-password" });
            statuses.Add(wrong.StatusCode);
        }

        using var right = await client.PostAsJsonAsync("api/auth/login", new { username = "lockme", password = "right-password-1" });
        using var unknown = await client.PostAsJsonAsync("api/auth/login", new { username = "nobody", password = "whatever-1234" });

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, (HttpStatusCode)429], statuses);
        Assert.Equal((HttpStatusCode)429, right.StatusCode);
        Assert.Equal("locked_out", (await JsonAsync(right))["code"]!.GetValue<string>());
        Assert.NotNull(right.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("invalid_credentials", (await JsonAsync(unknown))["code"]!.GetValue<string>());
        var audit = await AuditAsync();
        Assert.Contains(audit, e => e!["actor"]?.GetValue<string>() == "lockme" && e["action"]!.GetValue<string>() == "auth.login" && e["outcome"]!.GetValue<string>() == "locked_out");
        Assert.Contains(audit, e => e!["actor"]?.GetValue<string>() == "admin" && e["action"]!.GetValue<string>() == "user.create");

        // An admin resetting the password unlocks the account.
        using (var reset = await admin.PatchAsJsonAsync("api/users/lockme", new { password = "new-password-22" }))
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        using var after = await client.PostAsJsonAsync("api/auth/login", new { username = "lockme", password = "new-password-22" });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task DisablingAUser_EndsTheirSessionAtOnce()
    {
        using var admin = await _stack.SignInAsync("admin");
        using (var created = await admin.PostAsJsonAsync("api/users", new { username = "leaver", role = "viewer", password = "leaver-password-1" }))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var leaver = _stack.CreateClient();
        using (var login = await leaver.PostAsJsonAsync("api/auth/login", new { username = "leaver", password = "leaver-password-1" }))
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        using (var before = await leaver.GetAsync(new Uri("api/stations", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using (var disable = await admin.PatchAsJsonAsync("api/users/leaver", new { disabled = true }))
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        using var afterwards = await leaver.GetAsync(new Uri("api/stations", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, afterwards.StatusCode);
        using var operatorClient = await _stack.SignInAsync("operator");
        using var notAdmin = await operatorClient.GetAsync(new Uri("api/users", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
    }

    [Fact]
    public async Task Stations_ListAndDetail_SummaryLabelsUnitsAndHistory()
    {
        using var client = await _stack.SignInAsync("viewer");

        var list = JsonNode.Parse(await client.GetStringAsync(new Uri("api/stations", UriKind.Relative)))!.AsArray();
        var detail = JsonNode.Parse(await client.GetStringAsync(new Uri("api/stations/st001", UriKind.Relative)))!;
        using var missing = await client.GetAsync(new Uri("api/stations/st999", UriKind.Relative));
        using var badQuantity = await client.GetAsync(new Uri("api/stations/st001/history?quantity=x%22%20OR&range=1h", UriKind.Relative));
        var history = await Poll.UntilAsync(
            async () => JsonNode.Parse(await client.GetStringAsync(new Uri("api/stations/st001/history?quantity=voltage_a&range=1h", UriKind.Relative)))!,
            h => h["points"]!.AsArray().Count > 0, TimeSpan.FromSeconds(20));
        var pumpHistory = JsonNode.Parse(await client.GetStringAsync(new Uri("api/stations/st001/history?quantity=pump1.motor_current&range=6h", UriKind.Relative)))!;

        Assert.Equal(["st001", "st002", "st003"], list.Select(s => s!["id"]!.GetValue<string>()));
        var st001 = list[0]!;
        Assert.True(st001["online"]!.GetValue<bool>());
        Assert.False(st001["stale"]!.GetValue<bool>());
        Assert.True(st001["mainsPresent"]?.GetValue<bool>(), detail.ToJsonString());
        Assert.Equal([1, 2], st001["pumps"]!.AsArray().Select(p => p!["number"]!.GetValue<int>()));
        // The summary's shape, as the phone's list reads it; the detail carries the same fields at its top level.
        Assert.Equal(
            ["id", "name", "site", "status", "online", "stale", "mainsPresent", "remoteMode", "lastTelemetryMs", "pumps", "activeAlarms", "powerKw", "sumpLevel", "pumpsRunning"],
            st001.AsObject().Select(p => p.Key));
        Assert.Equal(st001.AsObject().Select(p => p.Key).Concat(["values", "pendingCommands"]), detail.AsObject().Select(p => p.Key));
        // kW from the meter's W (the profile's unit), the sump level in m, the pumps whose feedback says running.
        double ValueOf(string key) => detail["values"]!.AsArray().Single(v => v!["key"]!.GetValue<string>() == key)!["value"]!.GetValue<double>();
        Assert.Equal("W", detail["values"]!.AsArray().Single(v => v!["key"]!.GetValue<string>() == "active_power")!["unit"]!.GetValue<string>());
        Assert.Equal(ValueOf("active_power") / 1000, detail["powerKw"]!.GetValue<double>(), 6);
        Assert.Equal(ValueOf("sump_level"), detail["sumpLevel"]!.GetValue<double>(), 6);
        Assert.Equal(detail["pumps"]!.AsArray().Count(p => p!["running"]?.GetValue<bool>() == true), detail["pumpsRunning"]!.GetValue<int>());
        var voltage = detail["values"]!.AsArray().Single(v => v!["key"]!.GetValue<string>() == "voltage_a")!;
        Assert.Equal("V", voltage["unit"]!.GetValue<string>());
        Assert.Contains("电压", voltage["label"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.InRange(voltage["value"]!.GetValue<double>(), 180, 260);
        var current = detail["values"]!.AsArray().Single(v => v!["key"]!.GetValue<string>() == "pump1.motor_current")!;
        Assert.Equal("1号泵 电机电流", current["label"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("station_not_found", (await JsonAsync(missing))["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, badQuantity.StatusCode);
        Assert.Equal("raw", history["resolution"]!.GetValue<string>());
        Assert.Equal("V", history["unit"]!.GetValue<string>());
        Assert.All(history["points"]!.AsArray(), p => Assert.InRange(p![1]!.GetValue<double>(), 180, 260));
        Assert.NotEmpty(pumpHistory["points"]!.AsArray());
    }

    [Fact]
    public async Task Events_StreamSendsStationsOnConnectAndCommandStates()
    {
        using var viewer = await _stack.SignInAsync("viewer");
        using var operatorClient = await _stack.SignInAsync("operator");
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/events");
        using var response = await viewer.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<(string Name, JsonNode Data)>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(40));

        async Task<(string, JsonNode)> NextAsync()
        {
            string? name = null;
            while (true)
            {
                var line = await reader.ReadLineAsync(cancel.Token) ?? throw new EndOfStreamException();
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                    name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is not null)
                    return (name, JsonNode.Parse(line[6..])!);
            }
        }

        while (events.Count(e => e.Name == "station") < 3)
            events.Add(await NextAsync());
        using var start = await CommandAsync(operatorClient, "st003", 1, "start");
        var id = (await JsonAsync(start))["id"]!.GetValue<string>();
        while (!events.Any(e => e.Name == "command" && e.Data["id"]?.GetValue<string>() == id && e.Data["state"]?.GetValue<string>() == "succeeded"))
            events.Add(await NextAsync());
        while (!events.Any(e => e.Name == "values" && e.Data["station"]?.GetValue<string>() == "st003"))
            events.Add(await NextAsync());

        Assert.Contains(events, e => e.Name == "command" && e.Data["id"]?.GetValue<string>() == id && e.Data["state"]?.GetValue<string>() == "sent");
        using var stop = await CommandAsync(operatorClient, "st003", 1, "stop");
        await WaitForFinalAsync(operatorClient, (await JsonAsync(stop))["id"]!.GetValue<string>(), CommandWait);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheApi_AndUnknownApiPathsAreProblems()
    {
        using var client = _stack.CreateClient();
        var document = JsonNode.Parse(await client.GetStringAsync(new Uri("openapi/v1.json", UriKind.Relative)))!;
        using var unknown = await client.GetAsync(new Uri("api/nothing-here", UriKind.Relative));
        using var badJson = await client.PostAsync(new Uri("api/auth/login", UriKind.Relative), new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/stations/{id}/pumps/{pump}/commands", paths);
        Assert.Contains("/api/auth/login", paths);
        Assert.Contains("/api/commands/{id}", paths);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Equal("application/problem+json", badJson.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Admins change a station's name, town and 以电折水 coefficient; others cannot; the change shows at once and is audited.</summary>
    [Fact]
    public async Task Admin_ChangesStationSettings_ShownAtOnceAndAudited_OthersRefused()
    {
        using var admin = await _stack.SignInAsync("admin");
        using var operatorClient = await _stack.SignInAsync("operator");
        static JsonContent Body(object body) => JsonContent.Create(body);

        using (var refused = await operatorClient.PatchAsync(new Uri("api/stations/st003/settings", UriKind.Relative), Body(new { name = "x" })))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var invalid = await admin.PatchAsync(new Uri("api/stations/st003/settings", UriKind.Relative), Body(new { waterPerKwh = -1 })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            Assert.Equal("invalid_water_per_kwh", (await JsonAsync(invalid))["code"]!.GetValue<string>());
        }

        using var changed = await admin.PatchAsync(new Uri("api/stations/st003/settings", UriKind.Relative), Body(new { name = "城南机埠", site = "城南镇", waterPerKwh = 12.5 }));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var settings = await JsonAsync(changed);
        Assert.Equal("城南机埠", settings["name"]!.GetValue<string>());
        Assert.Equal(12.5, settings["waterPerKwh"]!.GetValue<double>());
        Assert.True(settings["waterPerKwhCalibrated"]!.GetValue<bool>());
        Assert.Equal("admin", settings["updatedBy"]!.GetValue<string>());

        var station = JsonNode.Parse(await operatorClient.GetStringAsync(new Uri("api/stations/st003", UriKind.Relative)))!;
        Assert.Equal("城南机埠", station["name"]!.GetValue<string>());
        Assert.Equal("城南镇", station["site"]!.GetValue<string>());
        var energy = JsonNode.Parse(await operatorClient.GetStringAsync(new Uri("api/stations/st003/energy?days=1", UriKind.Relative)))!;
        Assert.Equal(12.5, energy["waterPerKwh"]!.GetValue<double>());
        Assert.True(energy["waterPerKwhCalibrated"]!.GetValue<bool>());
        var audit = await AuditAsync("st003");
        Assert.Contains(audit, e => e!["actor"]?.GetValue<string>() == "admin" && e["action"]!.GetValue<string>() == "station.update" && e["outcome"]!.GetValue<string>() == "succeeded"
            && e["detail"]!.GetValue<string>() == "name=城南机埠, site=城南镇, waterPerKwh=12.5");
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "station.update" && e["outcome"]!.GetValue<string>() == "invalid_request");
    }
}
