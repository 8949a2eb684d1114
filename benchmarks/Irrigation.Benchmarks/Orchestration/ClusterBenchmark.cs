using System.Diagnostics;
using System.Globalization;
using System.Text;
using Irrigation.Testing;

namespace Irrigation.Benchmarks.Orchestration;

/// <summary>
/// Throughput of 1, 2 and 3 server instances sharing a three-node NATS cluster's telemetry (Irrigation:SharedStream), on
/// this machine: for each count, a fresh cluster and influxd; the instances start (creating the shared consumer) and stop;
/// mqtt-load publishes a backlog over MQTT 3.1.1 into the cluster; the instances start again and drain it. Prints the
/// drain rate and the CPU the instances and the NATS nodes spent per message (docs/scale-out.md).
/// </summary>
internal sealed class ClusterBenchmark(IReadOnlyList<int> serverCounts, int stations, int backlogSeconds, double rate, string runDirectory, string resultsDirectory)
{
    private readonly List<string> _rows = [];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(runDirectory);
        foreach (var servers in serverCounts)
            await RunOnceAsync(servers, cancellationToken);

        var table = new StringBuilder();
        table.AppendLine("| server instances | backlog | stored while starting | measured | stored msg/s | instances' CPU ms/msg | NATS nodes' CPU ms/msg | instances' CPU (cores) | NATS CPU (cores) | influxd CPU (cores) |");
        table.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var row in _rows)
            table.AppendLine(row);
        Console.WriteLine();
        Console.WriteLine(table.ToString());
        Directory.CreateDirectory(resultsDirectory);
        var report = Path.Combine(resultsDirectory, $"cluster-{DateTime.UtcNow:yyyyMMdd-HHmmss}.md");
        await File.WriteAllTextAsync(report, $"# Cluster benchmark {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n{stations} stations × {rate} msg/s × {backlogSeconds} s backlog, {System.Environment.ProcessorCount} cores\n\n{table}", cancellationToken);
        Console.WriteLine($"written to {report}");
        return 0;
    }

    private async Task RunOnceAsync(int servers, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(runDirectory, $"servers-{servers}");
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        await using var cluster = await NatsCluster.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        var database = "cluster_bench_" + servers.ToString(CultureInfo.InvariantCulture);
        var instances = Enumerable.Range(1, servers).Select(i => Environment(cluster, influxd, database, directory, i)).ToArray();

        // The shared consumer must exist before anything is published (interest retention): start and stop the instances once.
        var started = await StartAllAsync(instances, directory, "first");
        foreach (var process in started)
            await process.StopAsync(TimeSpan.FromSeconds(30));
        foreach (var process in started)
            await process.DisposeAsync();

        var summaryPath = Path.Combine(directory, "load-summary.json");
        await using (var load = ManagedProcess.Start("mqtt-load", BenchProcesses.Self,
        [
            "mqtt-load", "--broker", cluster.MqttAddresses[0], "--protocol", "3.1.1", "--stations", BenchProcesses.F(stations), "--rate", BenchProcesses.F(rate),
            "--values", "15", "--duration-s", BenchProcesses.F(backlogSeconds), "--publishers", "4", "--id-prefix", "cb", "--summary", summaryPath,
        ], Path.Combine(directory, "load.log")))
        {
            await load.WaitForExitAsync(TimeSpan.FromSeconds(backlogSeconds * 20 + 120));
            if (load.ExitCode != 0)
                throw new InvalidOperationException($"mqtt-load exited with {load.ExitCode}:\n{load.Tail()}");
        }

        var published = BenchProcesses.ReadSummary(summaryPath).Published;
        Console.WriteLine($"{servers} instance(s): {published} messages published into the cluster; draining");
        var drain = await StartAllAsync(instances, directory, "drain");
        try
        {
            // Measured from the moment every instance reads its share: what was stored while the others started is left out.
            var query = new Irrigation.Influx.Query.InfluxQueryClient(new Irrigation.Influx.Query.InfluxQueryOptions { Url = influxd.Url, Database = database, Timeout = TimeSpan.FromSeconds(30) });
            async Task<long> StoredAsync()
            {
                var result = await query.QueryAsync("SELECT count(\"seq\") FROM \"station\"", cancellationToken: cancellationToken);
                return result.Series.FirstOrDefault() is { } series ? series.Value(0, "count").GetInt64() : 0;
            }

            var storedBefore = await StoredAsync();
            var cpuBefore = drain.Sum(p => ProcessCpu.Seconds(p.Id));
            var natsCpuBefore = cluster.ProcessIds.Sum(ProcessCpu.Seconds);
            var influxCpuBefore = ProcessCpu.Seconds(influxd.ProcessId);
            var watch = Stopwatch.StartNew();
            var stored = storedBefore;
            while (stored < published && watch.Elapsed < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(100, cancellationToken);
                stored = await StoredAsync();
            }

            var seconds = watch.Elapsed.TotalSeconds;
            var measured = stored - storedBefore;
            var serverCpu = drain.Sum(p => ProcessCpu.Seconds(p.Id)) - cpuBefore;
            var natsCpu = cluster.ProcessIds.Sum(ProcessCpu.Seconds) - natsCpuBefore;
            var influxCpu = ProcessCpu.Seconds(influxd.ProcessId) - influxCpuBefore;
            if (stored < published)
                Console.WriteLine($"  only {stored} of {published} stored within 10 min");
            _rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {servers} | {published:N0} | {storedBefore:N0} | {measured:N0} in {seconds:0.0} s | {measured / seconds:N0} | {serverCpu * 1000 / measured:0.000} | {natsCpu * 1000 / measured:0.000} | {serverCpu / seconds:0.00} | {natsCpu / seconds:0.00} | {influxCpu / seconds:0.00} |"));
            Console.WriteLine(_rows[^1]);
        }
        finally
        {
            foreach (var process in drain)
                await process.DisposeAsync();
        }
    }

    private static Dictionary<string, string> Environment(NatsCluster cluster, InfluxdServer influxd, string database, string directory, int instance) => new(StringComparer.Ordinal)
    {
        ["Irrigation__Mqtt__Port"] = cluster.MqttPort(1 + (instance - 1) % NatsCluster.Size).ToString(CultureInfo.InvariantCulture),
        ["Irrigation__Mqtt__Protocol"] = "3.1.1",
        ["Irrigation__Mqtt__ClientId"] = $"irrigation-bench-{instance}",
        ["Irrigation__SharedStream__Servers"] = cluster.NatsServers,
        ["Irrigation__Influx__Url"] = influxd.Url.ToString().TrimEnd('/'),
        ["Irrigation__Influx__Database"] = database,
        ["Irrigation__DataDirectory"] = Path.Combine(directory, $"server-{instance}"),
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Irrigation.Server.Ingestion"] = "Information",
    };

    private static async Task<List<ManagedProcess>> StartAllAsync(Dictionary<string, string>[] instances, string directory, string phase)
    {
        var started = new List<ManagedProcess>();
        for (var i = 0; i < instances.Length; i++)
        {
            var process = ManagedProcess.Start($"server-{i + 1}", RepoPaths.Server, ["--urls", $"http://127.0.0.1:{FreePort.Next()}"],
                Path.Combine(directory, $"server-{i + 1}-{phase}.log"), instances[i], directory);
            started.Add(process);
        }

        foreach (var process in started)
            await process.WaitForLineAsync(l => l.Contains("Ingesting JetStream", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        return started;
    }
}
