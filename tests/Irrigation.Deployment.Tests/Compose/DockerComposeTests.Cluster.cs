using System.Globalization;
using System.Text.RegularExpressions;
using Irrigation.Gateway.Configuration;
using Irrigation.Testing;

namespace Irrigation.Deployment.Tests.Compose;

/// <summary>
/// The compose profile `cluster` agrees with ./run.sh cluster (scripts/cluster/run-cluster.sh): the same configuration
/// files (config/cluster/), published ports, server settings and gateway brokers.
/// </summary>
public sealed partial class DockerComposeTests
{
    private const string Cluster = "cluster";
    private static readonly string[] ExpectedClusterServices =
        ["gateway-cluster", "haproxy", "influxdb-a", "influxdb-b", "nats-1", "nats-2", "nats-3", "postgres", "server-1", "server-2"];

    private static readonly string[] ClusterServers = ["server-1", "server-2"];

    /// <summary>The settings that make a server instance part of the cluster; run-cluster.sh and compose both give each.</summary>
    private static readonly string[] ClusterServerSettings =
    [
        "Irrigation__Mqtt__Protocol", "Irrigation__Mqtt__ClientId", "Irrigation__SharedStream__Servers", "Irrigation__Database__Provider",
        "Irrigation__Database__ConnectionString", "Irrigation__Influx__Replicas__0__Name", "Irrigation__Influx__Replicas__0__Url",
        "Irrigation__Influx__Replicas__1__Name", "Irrigation__Influx__Replicas__1__Url", "Irrigation__DataDirectory", "Irrigation__StationFiles__0",
        "Irrigation__Mqtt__Username", "Irrigation__Mqtt__Password", "Irrigation__SharedStream__Username", "Irrigation__SharedStream__Password",
    ];

    /// <summary>The demo passwords the committed cluster accounts are made with (the compose default of MQTT_SERVER_PASSWORD).</summary>
    private const string DemoServerPassword = "change-me-server";

    private static string NatsAuthPath => Path.Combine(RepoPaths.Root, "config", "cluster", "nats-auth.conf");

    private static string RunCluster => File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "cluster", "run-cluster.sh"));

    [Fact]
    public void ClusterProfile_IsTheClusteredStack_AndLeavesTheDefaultStackAlone()
    {
        Assert.Equal(ExpectedClusterServices, _compose.ProfileServices(Cluster).Order(StringComparer.Ordinal));
        Assert.Equal(_compose.Services.Order(StringComparer.Ordinal), _compose.DefaultServices.Concat(_compose.ProfileServices(Cluster)).Order(StringComparer.Ordinal));
        Assert.Contains("./run.sh cluster", File.ReadAllText(ComposeFile.Path), StringComparison.Ordinal);
        Assert.Contains("cluster)\n    source scripts/cluster/run-cluster.sh", File.ReadAllText(Path.Combine(RepoPaths.Root, "run.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterProfile_PublishesOnLoopbackThePortsOfRunShCluster()
    {
        var run = RunCluster;
        int Default(string name) => int.Parse(Regex.Match(run, $@"\b{name}=\$\{{{name}:-(\d+)\}}").Groups[1].Value, CultureInfo.InvariantCulture);
        int[] Ports(string array) => Regex.Match(run, $@"\b{array}=\(([\d ]+)\)").Groups[1].Value.Split(' ').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var natsMqtt = Regex.Match(run, @"\bNATS_MQTT=\(([^)]*)\)").Groups[1].Value.Split(' ').Select(a => int.Parse(a.Split(':')[1], CultureInfo.InvariantCulture)).ToArray();
        var natsClient = NatsServerPorts(run);

        var expected = new Dictionary<string, int[]>(StringComparer.Ordinal)
        {
            ["haproxy"] = [Default("CLUSTER_WEB_PORT"), Default("CLUSTER_STATS_PORT")],
            ["server-1"] = [Ports("CLUSTER_SERVER_PORTS")[0]],
            ["server-2"] = [Ports("CLUSTER_SERVER_PORTS")[1]],
            ["influxdb-a"] = [Ports("CLUSTER_INFLUX_PORTS")[0]],
            ["influxdb-b"] = [Ports("CLUSTER_INFLUX_PORTS")[1]],
            ["postgres"] = [Default("CLUSTER_POSTGRES_PORT")],
            ["gateway-cluster"] = [],
        };
        for (var n = 1; n <= 3; n++)
            expected[$"nats-{n}"] = [natsMqtt[n - 1], natsClient[n - 1], MonitorPort(n)];

        foreach (var service in ExpectedClusterServices)
        {
            var ports = _compose.Ports(service);
            Assert.All(ports, p => Assert.Equal("127.0.0.1", p.HostIp));
            Assert.Equal(expected[service], ports.Select(p => p.HostFirst));
        }
    }

    [Fact]
    public void ClusterProfile_NatsNodes_ShareTheRunShNodeConfig_WithPerNodeEnvironmentAndRoutes()
    {
        var conf = File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "cluster", "nats-node.conf"));
        var variables = Regex.Matches(conf, @"^[^#\n]*?\$(?<name>[A-Z_]+)", RegexOptions.Multiline).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        var script = File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "cluster", "nats-cluster.sh"));
        Assert.All(variables, v => Assert.Contains($"{v}=", script, StringComparison.Ordinal)); // run.sh cluster sets the same ones

        var routes = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var n = 1; n <= 3; n++)
        {
            var service = $"nats-{n}";
            var environment = _compose.Environment(service);
            Assert.Equal(variables.Order(StringComparer.Ordinal), environment.Keys.Order(StringComparer.Ordinal));
            Assert.True(names.Add(environment["NODE_NAME"]), $"{service}: node name {environment["NODE_NAME"]} used twice");
            var command = _compose.Command(service);
            var nodeConf = ComposeFile.Option(command, "-c");
            Assert.Contains(_compose.Mounts(service), m => m.Source == "./config/cluster/nats-node.conf" && m.Target == nodeConf);
            // nats-node.conf includes the accounts from its own directory (nats-server joins the path to it).
            Assert.Contains(_compose.Mounts(service), m => m.Source == "./config/cluster/nats-auth.conf" && m.Target == Path.GetDirectoryName(nodeConf) + "/nats-auth.conf");
            Assert.Contains(_compose.Mounts(service), m => m.Source == "./config/cluster/nats-mqtt-tls.conf" && m.Target == Path.GetDirectoryName(nodeConf) + "/nats-mqtt-tls.conf");
            Assert.Contains(_compose.Mounts(service), m => !m.IsBind && m.Target == environment["NATS_STORE_DIR"]);
            // Each published port is the one the node listens on: MQTT, NATS, monitoring.
            Assert.Equal(
                new[] { "NODE_MQTT_LISTEN", "NODE_CLIENT_LISTEN", "NODE_MONITOR_LISTEN" }.Select(k => ListenPort(environment[k])),
                _compose.Ports(service).Select(p => p.ContainerFirst));
            Assert.Contains("/healthz?js-server-only=true", string.Join(' ', _compose.HealthCheck(service)), StringComparison.Ordinal);
            routes.Add($"nats-route://{service}:{ListenPort(environment["NODE_ROUTE_LISTEN"])}");
        }

        for (var n = 1; n <= 3; n++)
            Assert.Equal(string.Join(',', routes), ComposeFile.Option(_compose.Command($"nats-{n}"), "--routes"));
    }

    [Fact]
    public void ClusterProfile_NatsAccounts_AreWhatNatsAuthMakesOfTheClusterGatewayConfig_WithTheDemoPasswords()
    {
        Assert.Contains("\ninclude \"nats-auth.conf\"\n", File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "cluster", "nats-node.conf")), StringComparison.Ordinal);
        var text = File.ReadAllText(NatsAuthPath).ReplaceLineEndings("\n");
        var hashes = BrokerAccounts.PasswordHashes(text);
        const string source = "config/cluster/gateway.compose.json";
        var gateway = GatewayConfigurationFile.Bind(Path.Combine(RepoPaths.Root, source));

        // The same text the command writes, but for the salts in the hashes; and each hash is of the demo password.
        var accounts = BrokerAccount.ForDeployment([(source, gateway)]);
        Assert.Equal(NatsAuthorization.Write(accounts, hashes, BrokerAccount.DefaultServerUsername, new SharedStreamGrant(), [source]), text);
        Assert.True(BCrypt.Net.BCrypt.Verify(DemoServerPassword, hashes[BrokerAccount.DefaultServerUsername]), "the server's hash is not of the compose default MQTT_SERVER_PASSWORD");
        Assert.True(BCrypt.Net.BCrypt.Verify(gateway.Mqtt.Password, hashes[gateway.Mqtt.Username!]), "the gateway's hash is not of its mqtt.password");
        foreach (var server in ClusterServers)
        {
            var environment = _compose.Environment(server);
            Assert.Equal(BrokerAccount.DefaultServerUsername, environment["Irrigation__Mqtt__Username"]);
            Assert.Equal(BrokerAccount.DefaultServerUsername, environment["Irrigation__SharedStream__Username"]);
            Assert.Equal(DemoServerPassword, environment["Irrigation__Mqtt__Password"]); // ${MQTT_SERVER_PASSWORD:-change-me-server}, unset here
            Assert.Equal(environment["Irrigation__Mqtt__Password"], environment["Irrigation__SharedStream__Password"]);
        }

        // run.sh cluster makes its own accounts from its gateway configuration before it starts the nodes.
        var run = RunCluster;
        var generate = run.IndexOf("irrigation-probe nats-auth", StringComparison.Ordinal);
        Assert.True(generate > 0 && generate < run.IndexOf("nats-cluster.sh start \"$NATS_DIR\"", StringComparison.Ordinal), "run-cluster.sh writes nats-auth.conf before starting the nodes");
        Assert.Contains("--output \"$NATS_DIR/nats-auth.conf\"", run, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterProfile_Servers_AreConfiguredAsRunShClusterConfiguresThem()
    {
        var run = RunCluster;
        var clientIds = new HashSet<string>(StringComparer.Ordinal);
        var dataVolumes = new HashSet<string>(StringComparer.Ordinal);
        var postgres = _compose.Environment("postgres");
        foreach (var server in ClusterServers)
        {
            var environment = _compose.Environment(server);
            foreach (var name in environment.Keys.Where(k => k.StartsWith(ServerOptionsSource.Section + "__", StringComparison.Ordinal)))
                Assert.True(ServerOptionsSource.Resolves(name.Split("__")[1..]), $"{server}: {name} is not a property path of the server's options");
            foreach (var setting in ClusterServerSettings)
            {
                Assert.True(environment.ContainsKey(setting), $"{server}: {setting} missing (run.sh cluster sets it)");
                Assert.Contains($"{setting}=", run, StringComparison.Ordinal);
            }

            Assert.Equal("3.1.1", environment["Irrigation__Mqtt__Protocol"]);
            Assert.Contains("Irrigation__Mqtt__Protocol=3.1.1", run, StringComparison.Ordinal);
            Assert.Equal("PostgreSql", environment["Irrigation__Database__Provider"]);
            Assert.Contains("Irrigation__Database__Provider=PostgreSql", run, StringComparison.Ordinal);
            Assert.True(clientIds.Add(environment["Irrigation__Mqtt__ClientId"]), $"{server}: MQTT client id used twice");

            // Every NATS node's MQTT listener, each once; the shared stream over every node's NATS listener.
            var brokers = environment.Where(kv => kv.Key.StartsWith("Irrigation__Mqtt__Brokers__", StringComparison.Ordinal)).Select(kv => kv.Value).ToArray();
            Assert.Equal(Enumerable.Range(1, 3).Select(NatsMqttAddress).Order(StringComparer.Ordinal), brokers.Order(StringComparer.Ordinal));
            Assert.Equal(
                string.Join(',', Enumerable.Range(1, 3).Select(n => $"nats://nats-{n}:{ListenPort(_compose.Environment($"nats-{n}")["NODE_CLIENT_LISTEN"])}")),
                environment["Irrigation__SharedStream__Servers"]);
            Assert.Equal(3, NatsServerPorts(run).Length);

            // Both InfluxDB replicas, named as run.sh cluster names them.
            foreach (var (index, service) in new[] { (0, "influxdb-a"), (1, "influxdb-b") })
            {
                var replicaName = environment[$"Irrigation__Influx__Replicas__{index}__Name"];
                Assert.Contains($"Irrigation__Influx__Replicas__{index}__Name={replicaName} ", run, StringComparison.Ordinal);
                Assert.Equal($"http://{service}:{_compose.Ports(service).Single().ContainerFirst}", environment[$"Irrigation__Influx__Replicas__{index}__Url"]);
            }

            var database = new Npgsql.NpgsqlConnectionStringBuilder(environment["Irrigation__Database__ConnectionString"]);
            Assert.Equal(("postgres", _compose.Ports("postgres").Single().ContainerFirst), (database.Host, database.Port));
            Assert.Equal((postgres["POSTGRES_DB"], postgres["POSTGRES_USER"]), (database.Database, database.Username));

            var data = Assert.Single(_compose.Mounts(server), m => m.Target == environment["Irrigation__DataDirectory"]);
            Assert.False(data.IsBind);
            Assert.True(dataVolumes.Add(data.Source), $"{server}: data volume {data.Source} shared with another instance");
            Assert.Contains(_compose.Mounts(server), m => m.Source == "./config/cluster/gateway.compose.json" && m.Target == environment["Irrigation__StationFiles__0"]);
            Assert.Contains(_compose.HealthCheck(server), t => t.Contains("/health/ready", StringComparison.Ordinal));
            foreach (var dependency in new[] { "nats-1", "nats-2", "nats-3", "postgres", "influxdb-a", "influxdb-b" })
                Assert.Equal("service_healthy", _compose.DependsOn(server)[dependency]);
        }
    }

    [Fact]
    public void ClusterProfile_Haproxy_UsesTheRunShConfigWithBothServersFromTheEnvironment()
    {
        var cfg = File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "cluster", "haproxy.cfg"));
        var variables = Regex.Matches(cfg, @"^[^#\n]*""\$\{(?<name>\w+)\}""", RegexOptions.Multiline).Select(m => m.Groups["name"].Value).Order(StringComparer.Ordinal).ToArray();
        var environment = _compose.Environment("haproxy");
        Assert.Equal(variables, environment.Keys.Order(StringComparer.Ordinal));
        Assert.All(variables, v => Assert.Contains($"{v}=", RunCluster, StringComparison.Ordinal));
        Assert.Contains(_compose.Mounts("haproxy"), m => m.Source == "./config/cluster/haproxy.cfg" && m.Target == ComposeFile.Option(_compose.Command("haproxy"), "-f"));
        Assert.Contains("haproxy -db -f config/cluster/haproxy.cfg", RunCluster, StringComparison.Ordinal);

        foreach (var (index, server) in ClusterServers.Index())
            Assert.Equal($"{server}:{_compose.Ports(server).Single().ContainerFirst}", environment[$"HAPROXY_SERVER_{index + 1}"]);
        Assert.Equal(
            new[] { ListenPort(environment["HAPROXY_WEB_BIND"]), ListenPort(environment["HAPROXY_STATS_BIND"]) },
            _compose.Ports("haproxy").Select(p => p.ContainerFirst));
        Assert.Contains("option httpchk GET /health/live", cfg, StringComparison.Ordinal);
        Assert.Contains("balance roundrobin", cfg, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterProfile_Gateway_IsGivenEveryNatsNodeOver311_PollsTheComposeStations_AndWaitsForTheServers()
    {
        var file = Path.Combine(RepoPaths.Root, "config", "cluster", "gateway.compose.json");
        var (options, stations) = GatewayConfiguration.Load(file);
        var (_, defaultStations) = GatewayConfiguration.Load(GatewayConfigPath());

        Assert.Equal(Enumerable.Range(1, 3).Select(NatsMqttAddress), options.Mqtt.Brokers);
        Assert.Equal("3.1.1", options.Mqtt.Protocol);
        Assert.Equal("gw-01", options.Mqtt.Username); // its account in config/cluster/nats-auth.conf
        Assert.False(string.IsNullOrEmpty(options.Mqtt.Password));
        Assert.Equal(defaultStations.Select(s => (s.Id, s.Settings.Endpoint.Host, s.Settings.Endpoint.Port)), stations.Select(s => (s.Id, s.Settings.Endpoint.Host, s.Settings.Endpoint.Port)));
        Assert.Contains(options.DataDirectory, _compose.Mounts("gateway-cluster").Select(m => m.Target));
        var target = ComposeFile.Option(_compose.Command("gateway-cluster"), "--config");
        Assert.Contains(_compose.Mounts("gateway-cluster"), m => m.Target == target && m.Source == "./config/cluster/gateway.compose.json");
        Assert.Contains("mqtt.update(brokers=brokers, protocol=\"3.1.1\", username=", RunCluster, StringComparison.Ordinal);

        // The shared consumer must exist before the gateway publishes, in both: compose waits for healthy servers, run.sh
        // starts the gateway after both answer /health/ready.
        foreach (var server in ClusterServers)
            Assert.Equal("service_healthy", _compose.DependsOn("gateway-cluster")[server]);
        Assert.True(RunCluster.IndexOf("/health/ready\"; do", StringComparison.Ordinal) < RunCluster.IndexOf("supervise gateway ", StringComparison.Ordinal));
    }

    private string NatsMqttAddress(int node) => $"nats-{node}:{ListenPort(_compose.Environment($"nats-{node}")["NODE_MQTT_LISTEN"])}";

    private static int[] NatsServerPorts(string run) =>
        Regex.Match(run, @"\bNATS_SERVERS=(\S+)").Groups[1].Value.Split(',').Select(u => new Uri(u).Port).ToArray();

    /// <summary>Node n's monitoring port, as nats-cluster.sh computes it.</summary>
    private static int MonitorPort(int node)
    {
        var script = File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "cluster", "nats-cluster.sh"));
        var offset = Regex.Match(script, @"monitor_port\(\) \{ echo \$\(\((\d+) \+ \$1\)\); \}");
        Assert.True(offset.Success, "nats-cluster.sh: monitor_port() not found");
        return int.Parse(offset.Groups[1].Value, CultureInfo.InvariantCulture) + node;
    }

    private static int ListenPort(string listen) => int.Parse(listen[(listen.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
}
