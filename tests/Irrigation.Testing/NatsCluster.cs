using System.Globalization;
using System.Text.Json.Nodes;

namespace Irrigation.Testing;

/// <summary>
/// A real three-node NATS cluster (Debian nats-server, MQTT over JetStream) on 127.0.0.1 for a test, every node from the
/// product's own config/cluster/nats-node.conf with the test's free ports put in. A node can be killed with -9 and
/// started again on the same ports and data directory. Disposing kills every node and deletes the directory.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    public const int Nodes = 3;
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _binary;
    private readonly string _config;
    private readonly Node[] _nodes;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };

    private sealed record Node(int Number, int ClientPort, int RoutePort, int MqttPort, int MonitorPort, string StoreDirectory)
    {
        public ManagedProcess? Process { get; set; }
    }

    private NatsCluster(string binary, string directory)
    {
        _binary = binary;
        Directory = directory;
        _nodes = Enumerable.Range(1, Nodes)
            .Select(n => new Node(n, FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), Path.Combine(directory, $"nats-{n}")))
            .ToArray();
        var routes = string.Join("\n    ", _nodes.Select(n => $"nats-route://127.0.0.1:{n.RoutePort}"));
        var template = File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "cluster", "nats-node.conf"));
        var start = template.IndexOf("routes: [", StringComparison.Ordinal);
        var end = template.IndexOf(']', start);
        _config = Path.Combine(directory, "nats-node.conf");
        File.WriteAllText(_config, template[..start] + "routes: [\n    " + routes + "\n  " + template[end..]);
    }

    public string Directory { get; }

    /// <summary>The MQTT addresses of the nodes, node 1 first, as "127.0.0.1:port".</summary>
    public IReadOnlyList<string> MqttAddresses => _nodes.Select(n => $"127.0.0.1:{n.MqttPort}").ToArray();

    /// <summary>The NATS client addresses, comma separated (Irrigation:SharedStream:Servers).</summary>
    public string NatsServers => string.Join(',', _nodes.Select(n => $"nats://127.0.0.1:{n.ClientPort}"));

    public int MqttPort(int node) => _nodes[node - 1].MqttPort;

    public bool IsRunning(int node) => _nodes[node - 1].Process is { HasExited: false };

    /// <summary>The running nodes' process ids, for CPU figures.</summary>
    public IReadOnlyList<int> ProcessIds => _nodes.Where(n => n.Process is { HasExited: false }).Select(n => n.Process!.Id).ToArray();

    public static async Task<NatsCluster> StartAsync()
    {
        var binary = RequiredTool.Find("nats-server", "nats-server");
        var directory = Path.Combine(Path.GetTempPath(), "irrigation-nats-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var cluster = new NatsCluster(binary, directory);
        try
        {
            foreach (var node in cluster._nodes)
                cluster.Launch(node);
            await Task.WhenAll(cluster._nodes.Select(n => cluster.WaitHealthyAsync(n, StartTimeout)));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private void Launch(Node node)
    {
        System.IO.Directory.CreateDirectory(node.StoreDirectory);
        node.Process = ManagedProcess.Start($"nats-{node.Number}", _binary, ["-c", _config], Path.Combine(Directory, $"nats-{node.Number}.log"), new Dictionary<string, string>
        {
            ["NODE_NAME"] = $"irrigation-nats-{node.Number}",
            ["NODE_CLIENT_LISTEN"] = $"127.0.0.1:{node.ClientPort}",
            ["NODE_ROUTE_LISTEN"] = $"127.0.0.1:{node.RoutePort}",
            ["NODE_MQTT_LISTEN"] = $"127.0.0.1:{node.MqttPort}",
            ["NODE_MONITOR_LISTEN"] = $"127.0.0.1:{node.MonitorPort}",
            ["NATS_STORE_DIR"] = node.StoreDirectory,
        });
    }

    /// <summary>
    /// Waits for /healthz?js-server-only=true (JetStream up and current with the cluster's metadata); the full /healthz
    /// stays "not current" for minutes on a restarted 2.9.10 node while it serves clients (docs/scale-out.md).
    /// </summary>
    private async Task WaitHealthyAsync(Node node, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (node.Process is { HasExited: true } exited)
                throw new InvalidOperationException($"nats node {node.Number} exited:\n{exited.Tail()}");
            try
            {
                using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{node.MonitorPort}/healthz?js-server-only=true"));
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // no answer within the client's timeout
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"nats node {node.Number} not healthy within {timeout.TotalSeconds:0} s:\n{node.Process?.Tail()}");
            await Task.Delay(200);
        }
    }

    /// <summary>kill -9 of one node (1..3): a crash, nothing saved beyond what JetStream had synced.</summary>
    public async Task KillAsync(int node)
    {
        var process = _nodes[node - 1].Process ?? throw new InvalidOperationException($"node {node} is not running");
        process.KillHard();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts a killed node again on its ports and data directory; returns once it is healthy.</summary>
    public async Task RestartAsync(int node)
    {
        var n = _nodes[node - 1];
        if (n.Process is { HasExited: false })
            throw new InvalidOperationException($"node {node} is running");
        if (n.Process is not null)
            await n.Process.DisposeAsync();
        Launch(n);
        await WaitHealthyAsync(n, StartTimeout);
    }

    /// <summary>
    /// The node (1..3) that leads a stream's Raft group, from any running node's /jsz; 0 when none answers or the
    /// stream has no leader now.
    /// </summary>
    public async Task<int> StreamLeaderAsync(string stream)
    {
        foreach (var node in _nodes.Where(n => n.Process is { HasExited: false }))
        {
            try
            {
                var body = JsonNode.Parse(await _http.GetStringAsync(new Uri($"http://127.0.0.1:{node.MonitorPort}/jsz?accounts=true&streams=true")));
                foreach (var account in body?["account_details"]?.AsArray() ?? [])
                {
                    foreach (var detail in account?["stream_detail"]?.AsArray() ?? [])
                    {
                        if (detail?["name"]?.GetValue<string>() != stream)
                            continue;
                        var leader = detail["cluster"]?["leader"]?.GetValue<string>();
                        if (leader is not null && leader.StartsWith("irrigation-nats-", StringComparison.Ordinal))
                            return int.Parse(leader["irrigation-nats-".Length..], CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (HttpRequestException)
            {
                // this node does not answer: ask the next
            }
            catch (TaskCanceledException)
            {
                // no answer in time: ask the next
            }
        }

        return 0;
    }

    /// <summary>Every node's log, for a failure message.</summary>
    public string Logs() => string.Join("\n", _nodes.Select(n => $"--- nats-{n.Number}:\n{n.Process?.Tail()}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node.Process is not null)
            {
                node.Process.KillHard();
                await node.Process.DisposeAsync();
            }
        }

        _http.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a node still closing a file: the temp directory is cleaned by the system
        }
    }
}
