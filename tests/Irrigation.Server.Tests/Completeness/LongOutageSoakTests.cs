using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Irrigation.Contracts;
using Irrigation.Mqtt.Client;
using Irrigation.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests.Completeness;

/// <summary>
/// A long outage of a gateway's uplink, time-compressed: the link (a <see cref="TcpRelay"/> between gateway and broker)
/// is cut while the gateway keeps polling 50 stations ten times a second, until its outbox holds 46,800 messages — what
/// one station sends in 13 hours at one message a second. Broker and server keep running. When the link returns every
/// sequence number arrives, in order per station, with no repair needed, and the gateway's memory stayed bounded
/// (the backlog is on disk, not in the heap).
/// </summary>
[Collection("Integration")]
public sealed partial class LongOutageSoakTests(ITestOutputHelper output)
{
    private const int Stations = 50;
    private const int ThirteenHoursOfOneStation = 13 * 3600;

    [Fact]
    public async Task UplinkDownForThirteenHoursOfMessages_AllArriveInOrderPerStation_GatewayMemoryBounded()
    {
        await using var relay = new TcpRelay();
        using var profiles = new ScratchDirectory("soak-profiles");
        var options = new SystemStackOptions
        {
            Stations = Stations,
            GatewayBrokerPort = relay.Port,
            BrokerStarted = broker => relay.TargetPort = broker.Port,
            ConfigureGateway = config =>
            {
                config["statsInterval"] = "00:00:02";
                config["profilesDirectory"] = EveryChangeProfiles(profiles.Path);
                foreach (var station in config["stations"]!.AsArray())
                    station!["pollInterval"] = "00:00:00.100";
            },
        };
        await using var stack = await SystemStack.StartAsync("long-outage", options);
        var received = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        await using var subscriber = new ReconnectingMqttClient(
            new MqttClientOptions { Host = "127.0.0.1", Port = stack.Broker.Port, ClientId = "soak-" + Guid.NewGuid().ToString("N")[..8], InboundCapacity = 100_000 }, NullLogger.Instance);
        await subscriber.ConnectAsync(CancellationToken.None);
        await subscriber.SubscribeAsync([new MqttTopicFilter(Topics.AllTelemetry("irrigation"), MqttQualityOfService.AtLeastOnce)], CancellationToken.None);
        using var stopReading = new CancellationTokenSource();
        var reading = ReadAsync(subscriber, received, stopReading.Token);
        using var viewer = await stack.SignInAsync("viewer");
        await Poll.UntilAsync(() => CompletenessAsync(viewer), l => l.Count == Stations, TimeSpan.FromSeconds(60));

        // Running pumps: currents, power and flow move with every poll, so each poll is a message, as in the field.
        foreach (var station in Enumerable.Range(1, Stations))
            await stack.Simulator.PumpActionAsync($"st{station:000}", 1, "local-start");
        await Task.Delay(TimeSpan.FromSeconds(3));

        var gateway = stack.Gateway!;
        var rssAtCut = RssMegabytes(gateway.Id);
        var rssPeak = rssAtCut;
        var pendingAtCut = Pending(gateway);
        relay.Cut();
        var outage = Stopwatch.StartNew();
        long pending = 0;
        while (pending < ThirteenHoursOfOneStation && outage.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            rssPeak = Math.Max(rssPeak, RssMegabytes(gateway.Id));
            pending = Pending(gateway);
            if ((int)outage.Elapsed.TotalSeconds % 20 < 2)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{outage.Elapsed.TotalSeconds:0} s: outbox {pending}, RSS {RssMegabytes(gateway.Id):0} MB"));
        }

        var outageSeconds = outage.Elapsed.TotalSeconds;
        var backlogBytes = Directory.EnumerateFiles(Path.Combine(stack.GatewayDataDirectory, "outbox"), "*.seg").Sum(f => new FileInfo(f).Length);
        relay.Restore();
        var drain = Stopwatch.StartNew();
        // Drained: the outbox is back to what the gateway makes in a second (it keeps polling at 500 messages/s) and the
        // server has no gap open.
        var settled = await Poll.UntilAsync(() => CompletenessAsync(viewer), l => Pending(gateway) is >= 0 and < 500 && l.All(s => s.Open == 0), TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(1));
        var drainSeconds = drain.Elapsed.TotalSeconds;
        // The test's own subscriber drains the same backlog in this (loaded) process: wait until it has seen, for every
        // station, at least what the server counts as contiguous.
        await Poll.UntilAsync(() =>
        {
            lock (received)
                return settled.All(s => received.TryGetValue(s.Station, out var seqs) && seqs.Count > 0 && seqs.Max() >= s.Contiguous);
        }, "the test's subscriber saw up to the server's contiguous watermark", TimeSpan.FromSeconds(60));
        await stopReading.CancelAsync();
        await reading;
        var metrics = PrometheusText.Parse(await viewer.GetStringAsync(new Uri("metrics", UriKind.Relative)));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"outage {outageSeconds:0} s: outbox {pendingAtCut} → {pending} messages ({backlogBytes / 1048576.0:0.0} MiB on disk); gateway RSS {rssAtCut:0} MB at the cut, peak {rssPeak:0} MB; drained in {drainSeconds:0} s after the link returned; repair requests {metrics.GetValueOrDefault("irrigation_repair_requests_total")}"));

        Assert.True(pending >= ThirteenHoursOfOneStation, $"the outbox reached {pending} messages in {outageSeconds:0} s, not {ThirteenHoursOfOneStation}");
        Assert.True(rssPeak - rssAtCut < 64, $"gateway memory grew {rssPeak - rssAtCut:0} MB while {pending} messages waited (bounded: they are on disk)");
        Assert.Equal(0, metrics.GetValueOrDefault("irrigation_repair_requests_total")); // nothing was missing: the outbox kept it all
        Assert.Equal(0, metrics["irrigation_telemetry_lost_messages_total"]);
        lock (received)
        {
            Assert.Equal(Stations, received.Count);
            foreach (var (station, seqs) in received)
            {
                // QoS 1 may repeat what was in flight when the link dropped; past those, each number once and in order.
                var distinct = new List<long>();
                foreach (var seq in seqs)
                {
                    if (distinct.Count == 0 || seq > distinct[^1])
                        distinct.Add(seq);
                    else
                        Assert.True(distinct.Contains(seq), $"{station}: {seq} arrived out of order after {distinct[^1]}");
                }

                Assert.Equal(distinct[^1] - distinct[0] + 1, distinct.Count);
                Assert.True(distinct[^1] >= settled.Single(s => s.Station == station).Contiguous, $"{station}: the subscriber saw up to {distinct[^1]}");
            }
        }
    }

    /// <summary>
    /// The project's device profiles with every deadband 0: each poll whose values moved at all is a message. That is
    /// the compression — ten polls a second per station, each one a message, instead of one a second.
    /// </summary>
    private static string EveryChangeProfiles(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Profiles, "*.json"))
        {
            var profile = JsonNode.Parse(File.ReadAllText(file), documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
            foreach (var quantity in (profile["quantities"]?.AsArray() ?? []).Concat(profile["pumps"]?["quantities"]?.AsArray() ?? []))
            {
                if (quantity is JsonObject q && q.ContainsKey("deadband"))
                    q["deadband"] = 0;
            }

            File.WriteAllText(Path.Combine(directory, Path.GetFileName(file)), profile.ToJsonString());
        }

        return directory;
    }

    private static async Task ReadAsync(ReconnectingMqttClient client, Dictionary<string, List<long>> received, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in client.Messages.ReadAllAsync(cancellationToken))
            {
                if (!TelemetryPayload.TryRead(message.Payload.Span, out var header, out _, out _))
                    continue;
                lock (received)
                {
                    if (!received.TryGetValue(header.Station, out var list))
                        received[header.Station] = list = [];
                    list.Add(header.Sequence);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed record Tracked(string Station, long Contiguous, long Open);

    private static async Task<List<Tracked>> CompletenessAsync(HttpClient client) =>
        JsonNode.Parse(await client.GetStringAsync(new Uri("api/completeness", UriKind.Relative)))!.AsArray()
            .Select(s => new Tracked(s!["station"]!.GetValue<string>(), s["contiguous"]!.GetValue<long>(), s["openMessages"]!.GetValue<long>())).ToList();

    /// <summary>The outbox backlog from the gateway's newest statistics line.</summary>
    private static long Pending(ManagedProcess gateway)
    {
        var line = gateway.Lines.LastOrDefault(l => l.Contains(" pending / ", StringComparison.Ordinal));
        return line is not null && PendingPattern().Match(line) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    private static double RssMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    [GeneratedRegex(@"outbox (\d+) pending")]
    private static partial Regex PendingPattern();
}
