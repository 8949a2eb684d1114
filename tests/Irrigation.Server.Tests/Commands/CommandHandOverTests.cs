using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Irrigation.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests.Commands;

/// <summary>
/// A pump command in flight when the server instance that took it dies (kill -9 right after the API accepted it), with
/// two instances on one PostgreSQL database and the telemetry on the shared stream: the other instance, subscribed to
/// command results like every instance, records the gateway's result; when no result can ever come (gateway frozen) the
/// instance that takes the leadership over ends the command in its sweep — never left pending. Real nats-server ×3,
/// PostgreSQL, influxd, two irrigation-server processes, irrigation-gateway and firmware-sim.
/// </summary>
[Collection("SystemFlows")]
public sealed class CommandHandOverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan ResultGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Start_InstanceThatTookItKilledRightAfterAccepting_OtherInstanceRecordsSucceeded_PumpRuns()
    {
        await using var pair = await InstancePair.StartAsync("handover-result");
        using var a = await pair.Stack.SignInAsync("operator");
        using var b = await pair.Stack.SignInAsync("operator", pair.OtherUrl);

        using var response = await OperatorApiTests.CommandAsync(a, "st001", 1, "start");
        var accepted = await OperatorApiTests.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains(accepted["state"]!.GetValue<string>(), new[] { "pending", "sent" });
        await pair.Stack.KillServerAsync(); // right after the answer: a never sees the gateway's result
        var killedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var killed = Stopwatch.StartNew();
        var id = accepted["id"]!.GetValue<string>();

        var final = await OperatorApiTests.WaitForFinalAsync(b, id, TimeSpan.FromSeconds(30));
        var recordedAfter = killed.Elapsed;
        Assert.Equal("succeeded", final["state"]!.GetValue<string>());
        Assert.True(final["updatedAt"]!.GetValue<long>() >= killedAtMs, "the result was recorded before a was killed, not by b");
        var running = await Poll.UntilAsync(() => PumpRunningAsync(b, "st001", 1), r => r == true, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        var runningAfter = killed.Elapsed;
        Assert.True(running);
        var states = await CommandStatesAsync(pair.ConnectionString, id);
        output.WriteLine($"a answered 202 with \"{accepted["state"]}\" and was killed; b recorded \"{final["state"]}\" {recordedAfter.TotalSeconds:0.0} s later and showed the pump running after {runningAfter.TotalSeconds:0.0} s; audit: {string.Join(" | ", states)}");
        Assert.Contains(states, s => s.Contains("succeeded via gateway result", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_InstanceThatTookItKilled_GatewayFrozen_NewLeaderEndsItTimedOut()
    {
        await using var pair = await InstancePair.StartAsync("handover-sweep");
        using var a = await pair.Stack.SignInAsync("operator");
        using var b = await pair.Stack.SignInAsync("operator", pair.OtherUrl);
        Assert.Equal(pair.Stack.ServerSettings["Irrigation__Mqtt__ClientId"], (await LeaseAsync(pair.ConnectionString)).Owner); // a leads: it started first

        pair.Stack.SuspendGateway(); // its broker session stays, so the command is delivered to the broker — and never answered
        using var response = await OperatorApiTests.CommandAsync(a, "st001", 1, "start");
        var accepted = await OperatorApiTests.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await pair.Stack.KillServerAsync();
        var killed = Stopwatch.StartNew();
        var id = accepted["id"]!.GetValue<string>();

        var final = await OperatorApiTests.WaitForFinalAsync(b, id, Lifetime + ResultGrace + TimeSpan.FromSeconds(15));
        var endedAfter = killed.Elapsed;
        var lease = await LeaseAsync(pair.ConnectionString);
        var states = await CommandStatesAsync(pair.ConnectionString, id);
        output.WriteLine($"a answered 202 with \"{accepted["state"]}\" and was killed; b ended it \"{final["state"]}\" ({final["reason"]}) {endedAfter.TotalSeconds:0.0} s later (lifetime {Lifetime.TotalSeconds:0} s + grace {ResultGrace.TotalSeconds:0} s); lease generation {lease.Generation}, held by b; audit: {string.Join(" | ", states)}");
        Assert.Equal(("timed_out", "no_result"), (final["state"]!.GetValue<string>(), final["reason"]!.GetValue<string>()));
        Assert.Equal((pair.OtherClientId, 2L), (lease.Owner, lease.Generation));
        Assert.Contains(states, s => s.Contains("timed_out (no_result) via sweep", StringComparison.Ordinal));
    }

    private static async Task<bool?> PumpRunningAsync(HttpClient client, string station, int pump)
    {
        var s = JsonNode.Parse(await client.GetStringAsync(new Uri($"api/stations/{station}", UriKind.Relative)))!;
        return s["pumps"]!.AsArray().SingleOrDefault(p => p!["number"]!.GetValue<int>() == pump)?["running"]?.GetValue<bool>();
    }

    /// <summary>The command's state changes as the audit trail recorded them, in order.</summary>
    private static async Task<List<string>> CommandStatesAsync(string connectionString, string id)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT detail FROM audit WHERE action = 'command.state' AND detail LIKE @id ORDER BY id", connection);
        select.Parameters.AddWithValue("id", id + " %");
        var list = new List<string>();
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            list.Add(reader.GetString(0));
        return list;
    }

    private static async Task<(string Owner, long Generation)> LeaseAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT owner, generation FROM leases WHERE name = 'once-only-work'", connection);
        await using var reader = await select.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "no leadership lease");
        return (reader.GetString(0), reader.GetInt64(1));
    }

    /// <summary>
    /// The NATS cluster, a system stack whose server (instance a, the leader: it starts first) reads the shared stream and
    /// uses a PostgreSQL database, and a second instance b on the same settings. The gateway is on node 1, a and b on
    /// node 2 first.
    /// </summary>
    private sealed class InstancePair : IAsyncDisposable
    {
        private NatsCluster? _cluster;
        private ManagedProcess? _other;

        public SystemStack Stack { get; private set; } = null!;

        public Uri OtherUrl { get; private set; } = null!;

        public string OtherClientId { get; private set; } = "";

        public string ConnectionString { get; private set; } = "";

        public static async Task<InstancePair> StartAsync(string name)
        {
            var pair = new InstancePair();
            try
            {
                pair._cluster = await NatsCluster.StartAsync();
                var postgres = await PostgresServer.SharedAsync();
                pair.ConnectionString = await postgres.CreateDatabaseAsync("handover");
                var gatewayBrokers = pair._cluster.MqttAddressesFrom(1);
                var options = new SystemStackOptions { Stations = 1, GatewayBrokerPort = pair._cluster.MqttPort(1) };
                options.ConfigureGateway = config => config["mqtt"] = new JsonObject
                {
                    ["protocol"] = "3.1.1",
                    ["brokers"] = new JsonArray([.. gatewayBrokers.Select(a => (JsonNode?)JsonValue.Create(a))]),
                };
                var serverBrokers = pair._cluster.MqttAddressesFrom(2);
                for (var i = 0; i < NatsCluster.Size; i++)
                    options.ServerEnvironment[$"Irrigation__Mqtt__Brokers__{i}"] = serverBrokers[i];
                options.ServerEnvironment["Irrigation__Mqtt__Protocol"] = "3.1.1";
                options.ServerEnvironment["Irrigation__SharedStream__Servers"] = pair._cluster.NatsServers;
                options.ServerEnvironment["Irrigation__Database__Provider"] = "PostgreSql";
                options.ServerEnvironment["Irrigation__Database__ConnectionString"] = pair.ConnectionString;
                options.ServerEnvironment["Irrigation__Leadership__LeaseDuration"] = Format(LeaseDuration);
                options.ServerEnvironment["Irrigation__Commands__Lifetime"] = Format(Lifetime);
                options.ServerEnvironment["Irrigation__Commands__ResultGrace"] = Format(ResultGrace);
                pair.Stack = await SystemStack.StartAsync(name, options);
                var port = FreePort.Next();
                pair.OtherClientId = "irrigation-server-b-" + Guid.NewGuid().ToString("N")[..8];
                pair._other = await pair.Stack.StartServerInstanceAsync(pair.OtherClientId, port);
                pair.OtherUrl = new Uri($"http://127.0.0.1:{port}/");
                await pair.Stack.WaitForStationOnlineAsync("st001", TimeSpan.FromSeconds(60));
                return pair;
            }
            catch
            {
                await pair.DisposeAsync();
                throw;
            }
        }

        private static string Format(TimeSpan span) => span.ToString("c", System.Globalization.CultureInfo.InvariantCulture);

        public async ValueTask DisposeAsync()
        {
            if (_other is not null)
                await _other.DisposeAsync();
            if (Stack is not null)
                await Stack.DisposeAsync();
            if (_cluster is not null)
                await _cluster.DisposeAsync();
        }
    }
}
