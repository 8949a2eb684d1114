using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Influx.Query;
using Irrigation.Mqtt.Client;
using Irrigation.Server.Tests.TestSupport;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests;

/// <summary>
/// Several server instances sharing the telemetry of a real three-node NATS cluster (Irrigation:SharedStream): gateways
/// publish MQTT 3.1.1 QoS 1, the instances read one durable JetStream consumer and acknowledge only durable batches.
/// Real nats-server, influxd and irrigation-server processes on loopback.
/// </summary>
[Collection("Integration")]
public sealed class SharedStreamTests(ITestOutputHelper output)
{
    private const int Stations = 8;
    private const string Values = """{"voltage_a":{"v":229.8,"u":"V"},"flow_rate":{"v":12.5,"u":"m3/h"}}""";

    /// <summary>
    /// Two instances share the stream; one is killed with -9 while gateways publish. Its unacknowledged messages go to
    /// the other after AckWait: every acknowledged sequence number is stored, and the survivor's view of the whole stream
    /// (latest values, completeness) has every station complete with no gap.
    /// </summary>
    [Fact]
    public async Task TwoInstances_OneKilledUnderLoad_EveryAcknowledgedMessageStoredOnceWithNoGap()
    {
        await using var cluster = await NatsCluster.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        using var scratch = new ScratchDirectory("shared-stream");
        var database = "cluster_" + Guid.NewGuid().ToString("N")[..8]; // the servers create it with their retention policies
        var first = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "a", mqttNode: 1);
        var second = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "b", mqttNode: 3);
        await using (first.Process)
        await using (second.Process)
        {
            Assert.Contains(first.Process.Lines, l => l.Contains("Ingesting JetStream $MQTT_msgs $MQTT.msgs.irrigation.*.telemetry (shared consumer irrigation-ingest)", StringComparison.Ordinal));

            // Gateways on node 2, 8 stations × 400 messages at about 320 msg/s; instance a is killed after 4 s.
            const int perStation = 400;
            var publishing = PublishAsync([cluster.MqttAddresses[1]], perStation, TimeSpan.FromMilliseconds(25));
            await Task.Delay(TimeSpan.FromSeconds(4));
            var storedByFirst = await StoredAsync(first.Http);
            var storedBySecond = await StoredAsync(second.Http);
            first.Process.KillHard();
            var killed = Stopwatch.StartNew();
            var (acknowledged, recovered) = await EveryAcknowledgedStoredAsync(publishing, perStation, influxd, database, killed, TimeSpan.FromSeconds(90), first, second);
            Assert.True(storedByFirst > 0 && storedBySecond > 0, $"both instances stored a share before the kill: a {storedByFirst}, b {storedBySecond}");

            // The survivor's view of the whole stream: every station complete to 400, no open gap.
            await Poll.UntilAsync(async () =>
            {
                var completeness = JsonNode.Parse(await second.Http.GetStringAsync(new Uri("api/completeness", UriKind.Relative)))!.AsArray();
                return completeness.Count == Stations && completeness.All(s => s!["contiguous"]!.GetValue<long>() == perStation && s["openMessages"]!.GetValue<long>() == 0);
            }, "the survivor's completeness shows every station complete", TimeSpan.FromSeconds(30));
            var latest = JsonNode.Parse(await second.Http.GetStringAsync(new Uri("api/stations/latest", UriKind.Relative)))!.AsArray();
            Assert.Equal(Stations, latest.Count);

            output.WriteLine($"stored before the kill: a {storedByFirst}, b {storedBySecond}; {acknowledged} acknowledged, all stored {recovered.TotalSeconds:0.0} s after the kill (AckWait 5 s)");
        }
    }

    /// <summary>
    /// A broker node killed with -9 under load — the one leading the MQTT layer's QoS 1 stream, so JetStream must elect a
    /// new leader: publishers given every node move on and resend what was not acknowledged; the instances' NATS
    /// connections move too. Every acknowledged sequence number is stored.
    /// </summary>
    [Fact]
    public async Task TwoInstances_StreamLeaderNodeKilledUnderLoad_EveryAcknowledgedMessageStored()
    {
        await using var cluster = await NatsCluster.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        using var scratch = new ScratchDirectory("shared-node");
        var database = "node_" + Guid.NewGuid().ToString("N")[..8];
        var first = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "a", mqttNode: 1);
        var second = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "b", mqttNode: 2);
        await using (first.Process)
        await using (second.Process)
        {
            const int perStation = 300;
            var publishing = PublishAsync(cluster.MqttAddresses, perStation, TimeSpan.FromMilliseconds(25));
            await Task.Delay(TimeSpan.FromSeconds(3));
            var leader = await cluster.WaitForStreamLeaderAsync("$MQTT_msgs", TimeSpan.FromSeconds(10));
            await cluster.KillAsync(leader);
            var killed = Stopwatch.StartNew();
            var (acknowledged, recovered) = await EveryAcknowledgedStoredAsync(publishing, perStation, influxd, database, killed, TimeSpan.FromSeconds(120), first, second);
            output.WriteLine($"node {leader} (the $MQTT_msgs leader) killed; {acknowledged} acknowledged, every one stored {recovered.TotalSeconds:0.0} s after the kill");
        }
    }

    /// <summary>
    /// The node leading the shared consumer killed with -9 while both instances stay connected to another node. Their pull
    /// requests were waiting at the dead leader; the new leader knows nothing of them, so each instance must notice the
    /// missing idle heartbeats and pull again (<c>Irrigation:SharedStream:PullExpires</c>). With NATS.Net's default
    /// (30 s pulls, heartbeats every 15 s) telemetry stopped for about 30 s after the election; it must resume within
    /// seconds, and every acknowledged sequence number is stored.
    /// </summary>
    [Fact]
    public async Task TwoInstances_ConsumerLeaderNodeKilled_PullsAgainWithinSeconds_EveryAcknowledgedMessageStored()
    {
        await using var cluster = await NatsCluster.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        using var scratch = new ScratchDirectory("shared-consumer");
        var database = "consumer_" + Guid.NewGuid().ToString("N")[..8];
        var onNodeOne = new Dictionary<string, string> { ["Irrigation__SharedStream__Servers"] = cluster.NatsServer(1) };
        var first = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "a", mqttNode: 1, onNodeOne);
        var second = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "b", mqttNode: 1, onNodeOne);
        await using (first.Process)
        await using (second.Process)
        {
            // The consumer's leader must be another node than the one both instances are connected to.
            var leader = await cluster.WaitForConsumerLeaderAsync("$MQTT_msgs", "irrigation-ingest", TimeSpan.FromSeconds(20));
            for (var attempt = 0; leader == 1 && attempt < 10; attempt++)
            {
                await StepDownConsumerLeaderAsync(cluster);
                await Task.Delay(TimeSpan.FromSeconds(1));
                leader = await cluster.WaitForConsumerLeaderAsync("$MQTT_msgs", "irrigation-ingest", TimeSpan.FromSeconds(20));
            }

            Assert.NotEqual(1, leader);
            const int perStation = 500;
            var publishing = PublishAsync(cluster.MqttAddressesFrom(1), perStation, TimeSpan.FromMilliseconds(25));
            await Task.Delay(TimeSpan.FromSeconds(3));
            await cluster.KillAsync(leader);
            var killed = Stopwatch.StartNew();
            var elected = await cluster.WaitForConsumerLeaderAsync("$MQTT_msgs", "irrigation-ingest", TimeSpan.FromSeconds(60));
            var electedAfter = killed.Elapsed;
            var storedAtElection = await StoredAsync(first.Http) + await StoredAsync(second.Http);
            var resumedAfter = TimeSpan.Zero;
            while (killed.Elapsed < TimeSpan.FromSeconds(90))
            {
                if (await StoredAsync(first.Http) + await StoredAsync(second.Http) > storedAtElection)
                {
                    resumedAfter = killed.Elapsed;
                    break;
                }

                await Task.Delay(100);
            }

            var (acknowledged, recovered) = await EveryAcknowledgedStoredAsync(publishing, perStation, influxd, database, killed, TimeSpan.FromSeconds(120), first, second);
            output.WriteLine($"consumer leader node {leader} killed; node {elected} elected after {electedAfter.TotalSeconds:0.0} s; storing resumed {resumedAfter.TotalSeconds:0.0} s after the kill; every one of {acknowledged} stored {recovered.TotalSeconds:0.0} s after it");
            Assert.True(resumedAfter > TimeSpan.Zero && resumedAfter - electedAfter < TimeSpan.FromSeconds(15),
                $"storing resumed {resumedAfter.TotalSeconds:0.0} s after the kill, the new leader was there after {electedAfter.TotalSeconds:0.0} s\n--- a:\n{first.Process.Tail()}");
        }
    }

    /// <summary>
    /// An instance stopped for good leaves its persistent MQTT sessions in the cluster, and with 3.1.1 they never expire:
    /// every status message is kept in <c>$MQTT_msgs</c> for them. <c>irrigation-server retire-mqtt-sessions</c> ends its
    /// four sessions; the stream lets go of what it held and keeps nothing more for them.
    /// </summary>
    [Fact]
    public async Task RetiredInstance_SessionsKeepMessagesUntilRetired_ThenTheStreamLetsGo()
    {
        await using var cluster = await NatsCluster.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        using var scratch = new ScratchDirectory("retired");
        var database = "retired_" + Guid.NewGuid().ToString("N")[..8];
        var old = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "old", mqttNode: 1);
        var instanceId = old.Environment["Irrigation__Mqtt__ClientId"];
        // The shared consumer irrigation-ingest, and one consumer per QoS 1 subscription of the instance's four sessions
        // (status and gateway status, plan acknowledgements, repair results, command results) — once NATS granted them
        // all (a fresh cluster refuses subscriptions for a while; the client asks again).
        var before = await Poll.UntilAsync(() => cluster.StreamStateAsync("$MQTT_msgs"), s => s?.Consumers >= 6, TimeSpan.FromSeconds(60));
        Assert.True(before?.Consumers >= 6, $"the instance's sessions' subscriptions: {before}");
        await old.Process.DisposeAsync(); // stopped for good: its sessions stay at the broker

        // Station status nobody reads any more: all kept for the dead sessions.
        const int published = 50;
        await using (var gateway = new ReconnectingMqttClient(cluster.ClientOptions(2, "gw-retired-" + Guid.NewGuid().ToString("N")[..6], clean: true), new TestLogger(null, "gw")))
        {
            await gateway.ConnectAsync(CancellationToken.None);
            for (var i = 0; i < published; i++)
                await gateway.PublishAsync(new MqttApplicationMessage("irrigation/st001/status", Encoding.UTF8.GetBytes($$"""{"v":1,"station":"st001","online":true,"n":{{i}}}"""), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
        }

        var held = await Poll.UntilAsync(() => cluster.StreamStateAsync("$MQTT_msgs"), s => s?.Messages >= published, TimeSpan.FromSeconds(10));
        Assert.True(held?.Messages >= published, $"held for the stopped instance: {held}");

        var retire = ManagedProcess.Start("irrigation-server", RepoPaths.Server, ["retire-mqtt-sessions", instanceId], environment: old.Environment, workingDirectory: scratch.Path);
        await using (retire)
        {
            Assert.True(await retire.WaitForExitAsync(TimeSpan.FromSeconds(90)) == 0, retire.Output);
            foreach (var suffix in new[] { "", "-plans", "-repair", "-commands" })
                Assert.Contains($"session {instanceId}{suffix}: ended", retire.Output, StringComparison.Ordinal);
        }

        var after = await Poll.UntilAsync(() => cluster.StreamStateAsync("$MQTT_msgs"), s => s is { Messages: 0, Consumers: 1 }, TimeSpan.FromSeconds(20));
        output.WriteLine($"$MQTT_msgs before: {before}; with {published} status messages: {held}; after retire-mqtt-sessions: {after}");
        Assert.Equal((0L, 1), after); // only the shared consumer is left, and it holds none of the status messages
    }

    /// <summary>Asks the shared consumer's leader to step down (JetStream API), so another node is elected.</summary>
    private static async Task StepDownConsumerLeaderAsync(NatsCluster cluster)
    {
        await using var nats = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = cluster.NatsServer(1) });
        await nats.RequestAsync<string, string>("$JS.API.CONSUMER.LEADER.STEPDOWN.$MQTT_msgs.irrigation-ingest", "", replyOpts: new NATS.Client.Core.NatsSubOpts { Timeout = TimeSpan.FromSeconds(5) });
    }

    /// <summary>
    /// Two instances on one PostgreSQL database; the leading one (it evaluates alarms) is killed with -9 while a station's
    /// alarm is open. The other takes the lease within its duration, raises a new station's alarm, clears the open one —
    /// and never raises that one a second time.
    /// </summary>
    [Fact]
    public async Task TwoInstances_LeaderKilled_TheOtherTakesOverAlarmsWithoutRaisingOneTwice()
    {
        await using var cluster = await NatsCluster.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        var postgres = await PostgresServer.SharedAsync();
        using var scratch = new ScratchDirectory("shared-leader");
        var settings = new Dictionary<string, string>
        {
            ["Irrigation__Database__Provider"] = "PostgreSql",
            ["Irrigation__Database__ConnectionString"] = await postgres.CreateDatabaseAsync("leader"),
            ["Irrigation__Leadership__LeaseDuration"] = "00:00:03",
            ["Irrigation__Alarms__Rules__low_sump_level__OnDelay"] = "00:00:01",
        };
        var database = "leader_" + Guid.NewGuid().ToString("N")[..8];
        var first = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "a", mqttNode: 1, settings);
        await using (first.Process)
        {
            await first.Process.WaitForLineAsync(l => l.Contains("now does the once-only work", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            var second = await SharedStreamInstance.StartAsync(cluster, influxd, database, scratch, "b", mqttNode: 3, settings);
            await using (second.Process)
            {
                var levels = new System.Collections.Concurrent.ConcurrentDictionary<string, double>(StringComparer.Ordinal) { ["st001"] = 0.3, ["st002"] = 2.0 };
                using var feeding = new CancellationTokenSource();
                var live = new System.Collections.Concurrent.ConcurrentQueue<string>();
                var streamOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var streaming = ReadLiveEventsAsync(second.Http, live, streamOpen, feeding.Token);
                await streamOpen.Task.WaitAsync(TimeSpan.FromSeconds(15)); // subscribed before anything can be raised
                var feeder = FeedStationsAsync(cluster.MqttPort(2), levels, feeding.Token);
                try
                {
                    await Poll.UntilAsync(async () => (await AlarmsAsync(second.Http, "st001")).Count(a => a.Open) == 1, "st001's low-sump alarm raised by the leader", TimeSpan.FromSeconds(30));
                    Assert.DoesNotContain(second.Process.Lines, l => l.Contains("now does the once-only work", StringComparison.Ordinal));
                    // A phone connected to the instance that does not lead still sees the alarm raised live.
                    await Poll.UntilAsync(() => live.Any(d => d.Contains("\"raised\"", StringComparison.Ordinal) && d.Contains("\"st001\"", StringComparison.Ordinal)),
                        "the raised alarm streamed by the instance that does not lead", TimeSpan.FromSeconds(10));

                    first.Process.KillHard();
                    var killed = Stopwatch.StartNew();
                    await second.Process.WaitForLineAsync(l => l.Contains("now does the once-only work", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
                    var takeover = killed.Elapsed;

                    levels["st002"] = 0.3;
                    await Poll.UntilAsync(async () => (await AlarmsAsync(second.Http, "st002")).Count(a => a.Open) == 1, "st002's alarm raised by the new leader", TimeSpan.FromSeconds(30));
                    levels["st001"] = 2.0;
                    await Poll.UntilAsync(async () => !(await AlarmsAsync(second.Http, "st001")).Any(a => a.Open), "st001's alarm cleared by the new leader", TimeSpan.FromSeconds(30));

                    var st001 = await AlarmsAsync(second.Http, "st001");
                    var st002 = await AlarmsAsync(second.Http, "st002");
                    Assert.Single(st001); // raised once (by a), cleared by b: never raised again by b
                    Assert.Single(st002);
                    output.WriteLine($"lease taken over {takeover.TotalSeconds:0.0} s after the kill (lease 3 s); st001 raised once and cleared, st002 raised once");
                }
                finally
                {
                    await feeding.CancelAsync();
                    await feeder;
                    await streaming;
                }
            }
        }
    }

    /// <summary>The data lines of the instance's live-event stream (/api/events) for alarm events, until cancelled.</summary>
    /// <summary>Reads an instance's live-event stream; <paramref name="open"/> completes with its first (<c>hello</c>) event.</summary>
    private static async Task ReadLiveEventsAsync(HttpClient http, System.Collections.Concurrent.ConcurrentQueue<string> alarms, TaskCompletionSource open, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/events");
            using var stream = new HttpClient { BaseAddress = http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
            request.Headers.Authorization = http.DefaultRequestHeaders.Authorization;
            using var response = await stream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            var alarmEvent = false;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    alarmEvent = line == "event: alarm";
                    if (line == "event: hello")
                        open.TrySetResult();
                }
                else if (alarmEvent && line.StartsWith("data:", StringComparison.Ordinal))
                    alarms.Enqueue(line);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the test is done with the stream
        }
    }

    private sealed record AlarmEntry(string Key, bool Open);

    private static async Task<List<AlarmEntry>> AlarmsAsync(HttpClient http, string station)
    {
        var alarms = JsonNode.Parse(await http.GetStringAsync(new Uri($"api/alarms?station={station}", UriKind.Relative)))!.AsArray();
        return alarms.Select(a => new AlarmEntry(a!["key"]!.GetValue<string>(), a["clearedAt"] is null))
            .Where(a => a.Key == "low_sump_level").ToList();
    }

    /// <summary>A stand-in gateway: each station online (retained status) and its telemetry every 300 ms with the current sump level.</summary>
    private static async Task FeedStationsAsync(int mqttPort, System.Collections.Concurrent.ConcurrentDictionary<string, double> levels, CancellationToken cancellationToken)
    {
        await using var client = new ReconnectingMqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1", Port = mqttPort, ClientId = "gw-feeder-" + Guid.NewGuid().ToString("N")[..8], Protocol = MqttProtocol.V311, CleanSession = true,
        }, new TestLogger(null, "feeder"));
        await client.ConnectAsync(CancellationToken.None);
        var since = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var station in levels.Keys)
        {
            var status = $$"""{"station":"{{station}}","gateway":"gw-01","state":"online","since":{{since}},"ts":{{since}},"meter":"good","controller":"good","error":null}""";
            await client.PublishAsync(new MqttApplicationMessage($"irrigation/{station}/status", Encoding.UTF8.GetBytes(status), MqttQualityOfService.AtLeastOnce, Retain: true), CancellationToken.None);
        }

        var seq = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            seq++;
            foreach (var (station, level) in levels)
            {
                var values = "{\"sump_level\":{\"v\":" + level.ToString(CultureInfo.InvariantCulture) + ",\"u\":\"m\"},\"voltage_a\":{\"v\":229.8,\"u\":\"V\"}}";
                var payload = $$"""{"v":1,"station":"{{station}}","site":"城东镇","gateway":"gw-01","epoch":"e1","seq":{{seq}},"ts":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}},"kind":"change","replayed":false,"quality":"good","values":{{values}}}""";
                await client.PublishAsync(new MqttApplicationMessage($"irrigation/{station}/telemetry", Encoding.UTF8.GetBytes(payload), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
            }

            await Task.Delay(300, CancellationToken.None);
        }
    }

    /// <summary>One MQTT 3.1.1 client per station publishing numbered QoS 1 telemetry, each message after the last one's PUBACK; returns the acknowledged count.</summary>
    private static async Task<int> PublishAsync(IReadOnlyList<string> brokers, int perStation, TimeSpan interval)
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - perStation * 1000L;
        var acknowledged = 0;
        await Task.WhenAll(Enumerable.Range(1, Stations).Select(async s =>
        {
            var station = $"st{s:000}";
            await using var client = new ReconnectingMqttClient(new MqttClientOptions
            {
                Brokers = [.. brokers], ClientId = $"gw-{station}-{Guid.NewGuid():N}"[..20], Protocol = MqttProtocol.V311, CleanSession = true,
                RequestTimeout = TimeSpan.FromSeconds(10),
            }, new TestLogger(null, station));
            await client.ConnectAsync(CancellationToken.None);
            for (var seq = 1; seq <= perStation; seq++)
            {
                var payload = $$"""{"v":1,"station":"{{station}}","site":"城东镇","gateway":"gw-{{station}}","epoch":"e1","seq":{{seq}},"ts":{{start + seq * 1000L}},"kind":"change","replayed":false,"quality":"good","values":{{Values}}}""";
                await client.PublishAsync(new MqttApplicationMessage($"irrigation/{station}/telemetry", Encoding.UTF8.GetBytes(payload), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
                Interlocked.Increment(ref acknowledged);
                await Task.Delay(interval);
            }
        }));
        return acknowledged;
    }

    /// <summary>
    /// Waits for the publishers (every message acknowledged), then until every station's sequence numbers are all stored
    /// or <paramref name="limit"/> passed since the kill; fails naming what is missing, with the instances' logs.
    /// </summary>
    private static async Task<(int Acknowledged, TimeSpan Recovered)> EveryAcknowledgedStoredAsync(
        Task<int> publishing, int perStation, InfluxdServer influxd, string database, Stopwatch killed, TimeSpan limit, SharedStreamInstance first, SharedStreamInstance second)
    {
        var acknowledged = await publishing;
        Assert.Equal(Stations * perStation, acknowledged);
        var query = new InfluxQueryClient(new InfluxQueryOptions { Url = influxd.Url, Database = database, Timeout = TimeSpan.FromSeconds(10) });
        await WaitForAllStoredAsync(query, perStation, killed, limit);
        var recovered = killed.Elapsed;
        var missing = await MissingSequencesAsync(query, perStation);
        Assert.True(missing.Length == 0, $"{missing}\n--- a:\n{first.Process.Tail()}\n--- b:\n{second.Process.Tail()}");
        return (acknowledged, recovered);
    }

    private static async Task<double> StoredAsync(HttpClient http) =>
        PrometheusText.Parse(await http.GetStringAsync(new Uri("metrics", UriKind.Relative))).GetValueOrDefault("irrigation_ingest_stored_total");

    /// <summary>Polls until every station has <paramref name="perStation"/> points or <paramref name="limit"/> passed since <paramref name="since"/> started (the caller then reports what is missing).</summary>
    private static async Task WaitForAllStoredAsync(InfluxQueryClient query, int perStation, Stopwatch since, TimeSpan limit)
    {
        var counts = await SharedStreamInstance.CountsAsync(query);
        while (!(counts.Count == Stations && counts.Values.All(c => c == perStation)) && since.Elapsed < limit)
        {
            await Task.Delay(250);
            counts = await SharedStreamInstance.CountsAsync(query);
        }
    }

    /// <summary>Sequence numbers 1..<paramref name="perStation"/> missing per station ("" when none).</summary>
    private static async Task<string> MissingSequencesAsync(InfluxQueryClient query, int perStation)
    {
        var report = new StringBuilder();
        for (var s = 1; s <= Stations; s++)
        {
            var station = $"st{s:000}";
            var result = await query.QueryAsync("SELECT \"seq\" FROM \"station\" WHERE \"station\" = $station", new Dictionary<string, object?> { ["station"] = station });
            var seen = new HashSet<long>();
            foreach (var series in result.Series)
            {
                for (var row = 0; row < series.Values.Count; row++)
                    seen.Add(series.Value(row, "seq").GetInt64());
            }

            var missing = Enumerable.Range(1, perStation).Where(n => !seen.Contains(n)).ToList();
            if (missing.Count > 0)
                report.Append(CultureInfo.InvariantCulture, $"{station}: {missing.Count} missing ({string.Join(',', missing.Take(20))})\n");
        }

        return report.ToString();
    }
}
