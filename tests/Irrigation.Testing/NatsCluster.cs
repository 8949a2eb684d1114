using System.Net;
using System.Text.Json;

namespace Irrigation.Testing;

/// <summary>
/// A real three-node NATS cluster (nats-server, MQTT 3.1.1 over JetStream) on 127.0.0.1 for a test, from the
/// project's own <c>config/cluster/nats-node.conf</c> as <c>scripts/cluster/nats-cluster.sh</c> runs it: each node's
/// name, ports and data directory from the environment, here on free ports and under a temporary directory, the
/// route list given on the command line (it overrides the file's fixed ports). A node can be killed with SIGKILL and
/// started again on its ports and data. Disposing kills every node and deletes the directory.
/// The configuration is copied into the directory beside the <c>nats-auth.conf</c> it includes: the accounts a test
/// gives (from <c>irrigation-probe nats-auth</c>), or none — every client let in, for tests about other things.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    public const int Size = 3;
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binary;
    private readonly string _configuration;
    private readonly Node[] _nodes;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };

    private NatsCluster(string binary, string configuration, string directory)
    {
        _binary = binary;
        _configuration = configuration;
        Directory = directory;
        _nodes = [.. Enumerable.Range(1, Size).Select(n => new Node(n, FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next()))];
    }

    public string Directory { get; }

    /// <summary>The MQTT addresses of nodes 1–3, "127.0.0.1:port".</summary>
    public IReadOnlyList<string> MqttAddresses => [.. _nodes.Select(n => $"127.0.0.1:{n.MqttPort}")];

    /// <summary>MQTT port of node <paramref name="node"/> (1–3).</summary>
    public int MqttPort(int node) => At(node).MqttPort;

    /// <summary>All three MQTT addresses, <paramref name="firstNode"/> first: the cluster as a gateway or a server is given it.</summary>
    public IReadOnlyList<string> MqttAddressesFrom(int firstNode) => [.. Enumerable.Range(0, Size).Select(i => MqttAddresses[(firstNode - 1 + i) % Size])];

    /// <summary>An MQTT 3.1.1 client given every node, <paramref name="firstNode"/> first, with short timeouts for a test.</summary>
    public Irrigation.Mqtt.Client.MqttClientOptions ClientOptions(int firstNode, string clientId, bool clean = false, int inbound = Irrigation.Mqtt.Client.MqttClientOptions.DefaultInboundCapacity, string? username = null, string? password = null) => new()
    {
        Username = username,
        Password = password,
        Brokers = [.. MqttAddressesFrom(firstNode)],
        ClientId = clientId,
        CleanSession = clean,
        Protocol = Irrigation.Mqtt.Client.MqttProtocol.V311,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelay = TimeSpan.FromMilliseconds(200),
        MaxReconnectDelay = TimeSpan.FromSeconds(2),
        InboundCapacity = inbound,
    };

    /// <summary>The NATS client addresses of every node, comma separated (the servers' Irrigation:SharedStream:Servers).</summary>
    public string NatsServers => string.Join(',', _nodes.Select(n => $"nats://127.0.0.1:{n.ClientPort}"));

    /// <summary>One node's NATS client address (nats://127.0.0.1:port).</summary>
    public string NatsServer(int node) => $"nats://127.0.0.1:{At(node).ClientPort}";

    /// <summary>The running nodes' process ids, for CPU figures.</summary>
    public IReadOnlyList<int> ProcessIds => [.. _nodes.Where(n => n.Process is { HasExited: false }).Select(n => n.Process!.Id)];

    /// <summary>The node (1–3) whose MQTT port this is.</summary>
    public int NodeOfMqttPort(int port) => Array.FindIndex(_nodes, n => n.MqttPort == port) + 1;

    /// <summary>The last monitoring request that failed, for failure messages.</summary>
    public string? LastMonitorError { get; private set; }

    public bool IsRunning(int node) => At(node).Process is { HasExited: false };

    /// <summary>The node's log so far, for failure messages.</summary>
    public string Log(int node) => File.Exists(LogPath(node)) ? File.ReadAllText(LogPath(node)) : "(no log yet)";

    public string LogPath(int node) => Path.Combine(Directory, $"nats-{node}.log");

    /// <summary>TLS handshake deadline of the MQTT listener, in seconds: a 4G link's round trips, not nats-server's 2 s default.</summary>
    public const int MqttTlsTimeoutSeconds = 5;

    /// <summary>
    /// The <c>nats-mqtt-tls.conf</c> that puts TLS on every node's MQTT listener (included inside <c>mqtt { }</c> by
    /// nats-node.conf): the server's certificate and key (PEM, from scripts/make-certs.sh). No <c>ca_file</c>: clients
    /// are not asked for certificates, they sign in with their account password over the encrypted link.
    /// </summary>
    public static string MqttTlsBlock(string certFile, string keyFile) =>
        $"tls {{\n  cert_file: \"{certFile}\"\n  key_file: \"{keyFile}\"\n  timeout: {MqttTlsTimeoutSeconds}\n}}\n";

    /// <summary>
    /// Starts three nodes and waits until each reports JetStream ready (<c>/healthz?js-server-only=true</c>).
    /// <paramref name="authorization"/>: the accounts (an <c>authorization</c> block); none lets every client in.
    /// <paramref name="mqttTls"/>: the MQTT listeners' TLS block (<see cref="MqttTlsBlock"/>); none keeps the committed
    /// config/cluster/nats-mqtt-tls.conf, plain TCP.
    /// </summary>
    public static async Task<NatsCluster> StartAsync(string? authorization = null, string? mqttTls = null)
    {
        var binary = RequiredTool.Find("nats-server", "nats-server");
        var directory = Path.Combine(Path.GetTempPath(), "irrigation-nats-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var configuration = Path.Combine(directory, "nats-node.conf");
        File.Copy(Path.Combine(RepoPaths.Root, "config", "cluster", "nats-node.conf"), configuration);
        File.WriteAllText(Path.Combine(directory, "nats-auth.conf"), authorization ?? "# No accounts: every client is let in (a test about something else).\n");
        var tls = Path.Combine(directory, "nats-mqtt-tls.conf");
        if (mqttTls is null)
            File.Copy(Path.Combine(RepoPaths.Root, "config", "cluster", "nats-mqtt-tls.conf"), tls);
        else
            File.WriteAllText(tls, mqttTls);
        var cluster = new NatsCluster(binary, configuration, directory);
        try
        {
            for (var n = 1; n <= Size; n++)
                cluster.Launch(n);
            for (var n = 1; n <= Size; n++)
                await cluster.WaitHealthyAsync(n);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>kill -9 of one node: no shutdown code runs, its connections and its Raft memberships just vanish.</summary>
    public async Task KillAsync(int node)
    {
        if (At(node).Process is not { HasExited: false } process)
            return;
        process.KillHard();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts a killed node again on its ports and data directory and waits until it is JetStream-ready.</summary>
    public async Task RestartAsync(int node)
    {
        if (IsRunning(node))
            return;
        if (At(node).Process is { } old)
            await old.DisposeAsync();
        Launch(node);
        await WaitHealthyAsync(node);
    }

    /// <summary>
    /// The node (1–3) leading the JetStream stream <paramref name="stream"/> (<c>$MQTT_msgs</c>: QoS 1 messages;
    /// <c>$MQTT_sess</c>: sessions), asked of a running node's monitoring endpoint; 0 while there is none.
    /// </summary>
    public Task<int> StreamLeaderAsync(string stream) => LeaderAsync(stream, consumer: null);

    /// <summary>
    /// The node (1–3) leading the durable consumer <paramref name="consumer"/> of <paramref name="stream"/> — where pull
    /// requests are served, which can be another node than the stream's leader; 0 while there is none.
    /// </summary>
    public Task<int> ConsumerLeaderAsync(string stream, string consumer) => LeaderAsync(stream, consumer);

    /// <summary>
    /// The messages <paramref name="stream"/> holds and its consumers, as its leader reports them (each MQTT session's QoS 1
    /// subscriptions are consumers of <c>$MQTT_msgs</c>); null while no running node can say.
    /// </summary>
    public async Task<(long Messages, int Consumers)?> StreamStateAsync(string stream)
    {
        var leader = await StreamLeaderAsync(stream);
        if (leader == 0 || !IsRunning(leader) || await StreamDetailAsync(At(leader), stream, "streams=true") is not { } detail)
            return null;
        var state = detail.GetProperty("state");
        return (state.GetProperty("messages").GetInt64(), state.TryGetProperty("consumer_count", out var count) ? count.GetInt32() : 0);
    }

    private async Task<int> LeaderAsync(string stream, string? consumer)
    {
        foreach (var node in _nodes.Where(n => n.Process is { HasExited: false }))
        {
            // A node that cannot say (starting, electing) or names no leader: ask the next one.
            if (await StreamDetailAsync(node, stream, consumer is null ? "streams=true" : "consumers=true") is not { } detail)
                continue;
            var led = consumer is null ? detail
                : detail.TryGetProperty("consumer_detail", out var consumers) ? consumers.EnumerateArray().FirstOrDefault(c => c.GetProperty("name").GetString() == consumer)
                : default;
            if (led.ValueKind == JsonValueKind.Object
                && led.TryGetProperty("cluster", out var cluster)
                && cluster.TryGetProperty("leader", out var leader)
                && Array.FindIndex(_nodes, n => n.Name == leader.GetString()) is var index and >= 0)
                return index + 1;
        }

        return 0;
    }

    /// <summary>The stream's entry in a node's <c>/jsz</c> (with <paramref name="query"/>), or null when the node cannot say.</summary>
    private async Task<JsonElement?> StreamDetailAsync(Node node, string stream, string query)
    {
        try
        {
            using var document = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"http://127.0.0.1:{node.MonitorPort}/jsz?acc=$G&{query}")));
            if (!document.RootElement.TryGetProperty("account_details", out var accounts))
                return null;
            foreach (var account in accounts.EnumerateArray())
            {
                if (account.TryGetProperty("stream_detail", out var streams)
                    && streams.EnumerateArray().FirstOrDefault(d => d.GetProperty("name").GetString() == stream) is { ValueKind: JsonValueKind.Object } detail)
                    return detail.Clone();
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            LastMonitorError = $"{node.Name}: {ex.Message}";
        }

        return null;
    }

    /// <summary>Waits until a running node names a leader for <paramref name="stream"/>; returns that node.</summary>
    public Task<int> WaitForStreamLeaderAsync(string stream, TimeSpan timeout) => WaitForLeaderAsync(stream, null, timeout);

    /// <summary>Waits until a running node names a leader for the consumer; returns that node.</summary>
    public Task<int> WaitForConsumerLeaderAsync(string stream, string consumer, TimeSpan timeout) => WaitForLeaderAsync(stream, consumer, timeout);

    private async Task<int> WaitForLeaderAsync(string stream, string? consumer, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var leader = await LeaderAsync(stream, consumer);
            if (leader != 0 && IsRunning(leader))
                return leader;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No running node leads {stream} {consumer} after {timeout.TotalSeconds:0} s.");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node.Process is { } process)
                await process.DisposeAsync();
            node.Process = null;
        }

        _http.Dispose();
        TempDirectory.TryDelete(Directory);
    }

    private Node At(int node) =>
        node is >= 1 and <= Size ? _nodes[node - 1] : throw new ArgumentOutOfRangeException(nameof(node), node, "Nodes are numbered 1-3.");

    private void Launch(int number)
    {
        var node = At(number);
        var store = Path.Combine(Directory, $"nats-{number}");
        System.IO.Directory.CreateDirectory(store);
        var routes = string.Join(',', _nodes.Select(n => $"nats-route://127.0.0.1:{n.RoutePort}"));
        node.Process = ManagedProcess.Start(
            node.Name,
            _binary,
            ["-c", _configuration, "--routes", routes],
            LogPath(number),
            new Dictionary<string, string>
            {
                ["NODE_NAME"] = node.Name,
                ["NODE_CLIENT_LISTEN"] = $"127.0.0.1:{node.ClientPort}",
                ["NODE_ROUTE_LISTEN"] = $"127.0.0.1:{node.RoutePort}",
                ["NODE_MQTT_LISTEN"] = $"127.0.0.1:{node.MqttPort}",
                ["NODE_MONITOR_LISTEN"] = $"127.0.0.1:{node.MonitorPort}",
                ["NATS_STORE_DIR"] = store,
            });
    }

    /// <summary>
    /// <c>/healthz?js-server-only=true</c>: JetStream runs and the node is current with the cluster's metadata. Not the
    /// full <c>/healthz</c>, which a restarted 2.9.10 node fails for minutes while it serves MQTT (docs/scale-out.md).
    /// </summary>
    private async Task WaitHealthyAsync(int number)
    {
        var node = At(number);
        var deadline = DateTime.UtcNow + StartTimeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (node.Process is { HasExited: true } exited)
                throw new InvalidOperationException($"{node.Name} exited with code {exited.ExitCode} while starting.\nlog:\n{Log(number)}");
            try
            {
                using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{node.MonitorPort}/healthz?js-server-only=true"));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
                last = $"status {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{node.Name} was not JetStream-ready within {StartTimeout.TotalSeconds:0} s ({last}).\nlog:\n{Log(number)}");
    }

    private sealed class Node(int number, int clientPort, int routePort, int mqttPort, int monitorPort)
    {
        public string Name { get; } = $"irrigation-nats-{number}";

        public int ClientPort { get; } = clientPort;

        public int RoutePort { get; } = routePort;

        public int MqttPort { get; } = mqttPort;

        public int MonitorPort { get; } = monitorPort;

        public ManagedProcess? Process { get; set; }
    }
}
