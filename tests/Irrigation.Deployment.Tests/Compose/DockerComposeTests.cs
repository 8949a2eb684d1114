using System.Globalization;
using System.Text.RegularExpressions;
using Irrigation.Deployment.Tests.Grafana;
using Irrigation.Gateway.Configuration;
using Irrigation.Testing;

namespace Irrigation.Deployment.Tests.Compose;

/// <summary>
/// docker-compose.yml agrees with the repository and the native configuration (no Docker engine runs here): files,
/// ports, environment variables, the gateway configuration and the broker configuration it names.
/// </summary>
public sealed partial class DockerComposeTests
{
    private static readonly string[] ExpectedServices = ["firmware-sim", "gateway", "grafana", "influxdb", "mosquitto", "server"];

    private readonly ComposeFile _compose = ComposeFile.Load();

    [Fact]
    public void Services_AreTheWholeStack()
    {
        Assert.Equal(ExpectedServices, _compose.DefaultServices.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Builds_ContextDockerfileAndWhatTheyCopyAndPublish_Exist()
    {
        foreach (var service in _compose.Services.Where(s => _compose.Service(s).Children.ContainsKey(new YamlDotNet.RepresentationModel.YamlScalarNode("build"))))
        {
            var build = ComposeFile.Mapping(_compose.Service(service), "build");
            var context = Path.GetFullPath(Path.Combine(RepoPaths.Root, ComposeFile.Scalar(build, "context")!));
            Assert.True(Directory.Exists(context), $"{service}: build context {context} does not exist");
            var dockerfile = Path.Combine(context, ComposeFile.Scalar(build, "dockerfile")!);
            Assert.True(File.Exists(dockerfile), $"{service}: {dockerfile} does not exist");
            var lines = File.ReadAllLines(dockerfile);
            Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", StringComparison.Ordinal));
            Assert.Contains(lines, l => Regex.IsMatch(l, @"^FROM mcr\.microsoft\.com/dotnet/(runtime|aspnet):10\.0$"));
            foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
            {
                var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                foreach (var source in parts[1..^1])
                    Assert.True(Path.Exists(Path.Combine(context, source)), $"{service}: {copy}: '{source}' does not exist");
            }

            var publish = lines.Select(l => PublishProject().Match(l)).Single(m => m.Success).Groups["project"].Value;
            Assert.True(File.Exists(Path.Combine(context, publish)), $"{service}: publishes {publish}, which does not exist");
        }
    }

    [Fact]
    public void Mounts_BindSourcesExistAndVolumesAreDeclared()
    {
        foreach (var service in _compose.Services)
        {
            foreach (var mount in _compose.Mounts(service))
            {
                if (mount.IsBind)
                    Assert.True(Path.Exists(Path.Combine(RepoPaths.Root, mount.Source)), $"{service}: mounts {mount.Source}, which is not in the repository");
                else
                    Assert.Contains(mount.Source, _compose.NamedVolumes);
            }
        }
    }

    [Fact]
    public void Ports_PublishedOnLoopbackAtTheNativeDefaults()
    {
        var run = File.ReadAllText(Path.Combine(RepoPaths.Root, "run.sh"));
        int Default(string name) => int.Parse(Regex.Match(run, $@"\b{name}=\$\{{{name}:-(\d+)\}}").Groups[1].Value, CultureInfo.InvariantCulture);
        var stations = Default("STATIONS");
        var expected = new Dictionary<string, (int First, int Last)>(StringComparer.Ordinal)
        {
            ["mosquitto"] = (Default("MQTT_PORT"), Default("MQTT_PORT")),
            ["influxdb"] = (Default("INFLUX_PORT"), Default("INFLUX_PORT")),
            ["server"] = (Default("SERVER_PORT"), Default("SERVER_PORT")),
            ["grafana"] = (3000, 3000), // Grafana's own default, docs/grafana.md
            ["firmware-sim"] = (Default("MODBUS_BASE_PORT"), Default("MODBUS_BASE_PORT") + stations - 1),
        };
        foreach (var service in _compose.DefaultServices)
        {
            var ports = _compose.Ports(service);
            if (!expected.TryGetValue(service, out var range))
            {
                Assert.Empty(ports);
                continue;
            }

            // The broker's TLS listener for field gateways comes second, at MQTT's TLS port (it has no run.sh twin).
            var port = service == "mosquitto" ? ports[0] : Assert.Single(ports);
            Assert.Equal("127.0.0.1", port.HostIp);
            Assert.Equal(range, (port.HostFirst, port.HostLast));
            Assert.Equal(range, (port.ContainerFirst, port.ContainerLast));
        }

        var tls = Assert.Single(_compose.Ports("mosquitto").Skip(1));
        Assert.Equal(("127.0.0.1", MosquittoTlsPort, MosquittoTlsPort), (tls.HostIp, tls.HostFirst, tls.ContainerFirst));

        var sim = _compose.Command("firmware-sim");
        Assert.Equal(Default("MODBUS_BASE_PORT"), int.Parse(ComposeFile.Option(sim, "--base-port"), CultureInfo.InvariantCulture));
        Assert.Equal(stations, int.Parse(ComposeFile.Option(sim, "--stations"), CultureInfo.InvariantCulture));
        // run.sh starts the simulator through scripts/common.sh's start_simulator (shared with ./run.sh cluster).
        Assert.Contains("start_simulator ", File.ReadAllText(Path.Combine(RepoPaths.Root, "run.sh")), StringComparison.Ordinal);
        Assert.Contains("--pumps 0", File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "common.sh")), StringComparison.Ordinal);
        Assert.Equal("0", ComposeFile.Option(sim, "--pumps"));
    }

    [Fact]
    public void ServerEnvironment_NamesServerOptionsProperties()
    {
        var environment = _compose.Environment("server");
        var names = environment.Keys.Where(k => k.StartsWith(ServerOptionsSource.Section + "__", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(names);
        foreach (var name in names)
            Assert.True(ServerOptionsSource.Resolves(name.Split("__")[1..]), $"server: {name} is not a property path of the server's options (src/Irrigation.Server/**/*Options.cs)");

        // The values the server binds must parse like the binder would, and name what compose provides.
        Assert.Equal("mosquitto", environment["Irrigation__Mqtt__Host"]);
        Assert.Equal(MosquittoContainerPort(), int.Parse(environment["Irrigation__Mqtt__Port"], CultureInfo.InvariantCulture));
        Assert.Equal(InfluxUrl(), environment["Irrigation__Influx__Url"]);
        Assert.Contains(environment["Irrigation__StationFiles__0"], _compose.Mounts("server").Select(m => m.Target));
        Assert.Contains(environment["Irrigation__DataDirectory"], _compose.Mounts("server").Select(m => m.Target));
        Assert.Contains($"{environment["Irrigation__Mqtt__Username"]}:", File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "mosquitto.passwd")), StringComparison.Ordinal);
    }

    [Fact]
    public void GatewayConfig_IsValidAndPointsAtTheComposeServices()
    {
        var configFile = GatewayConfigPath();
        var (options, stations) = GatewayConfiguration.Load(configFile);

        Assert.Equal("mosquitto", options.Mqtt.Host);
        Assert.Equal(MosquittoContainerPort(), options.Mqtt.Port);
        Assert.Contains($"{options.Mqtt.Username}:", File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "mosquitto.passwd")), StringComparison.Ordinal);
        Assert.Contains(options.DataDirectory, _compose.Mounts("gateway").Select(m => m.Target));
        var gatewayConfigTarget = ComposeFile.Option(_compose.Command("gateway"), "--config");
        Assert.Contains(_compose.Mounts("gateway"), m => m.Target == gatewayConfigTarget && Path.GetFullPath(Path.Combine(RepoPaths.Root, m.Source)) == configFile);
        // The server accepts exactly the stations the gateway polls.
        Assert.Equal(gatewayConfigTarget, _compose.Environment("server")["Irrigation__StationFiles__0"]);

        var simPort = _compose.Ports("firmware-sim").Single();
        Assert.Equal(int.Parse(ComposeFile.Option(_compose.Command("firmware-sim"), "--stations"), CultureInfo.InvariantCulture), stations.Count);
        for (var i = 0; i < stations.Count; i++)
        {
            Assert.Equal("firmware-sim", stations[i].Settings.Endpoint.Host);
            Assert.Equal(simPort.ContainerFirst + i, stations[i].Settings.Endpoint.Port);
        }
    }

    [Fact]
    public async Task GatewayConfig_MatchesWhatTheSimulatorEmitsForTheComposeCommand()
    {
        // Run the simulator with compose's arguments (on loopback, OS-picked ports) and compare the stations it
        // describes — ids, names, sites, profiles, unit ids and pumps — with the committed gateway configuration.
        var command = _compose.Command("firmware-sim").ToList();
        command[command.IndexOf("--host") + 1] = "127.0.0.1";
        command[command.IndexOf("--base-port") + 1] = "0";
        command[command.IndexOf("--control-port") + 1] = "-1";
        var directory = Path.Combine(Path.GetTempPath(), $"irrigation-compose-{Guid.NewGuid():N}"[..36]);
        var emitted = Path.Combine(directory, "gateway.json");
        command.AddRange(["--emit-gateway-config", emitted]);
        await using (var sim = ManagedProcess.Start("firmware-sim", RepoPaths.FirmwareSim, command, Path.Combine(directory, "firmware-sim.log")))
            await sim.WaitForLineAsync(l => l.Contains("wrote gateway configuration", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        static string Describe(string file) => string.Join('\n', System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!["stations"]!.AsArray().Select(s =>
        {
            var station = s!.AsObject().DeepClone().AsObject();
            station.Remove("endpoint");
            return station.ToJsonString();
        }));
        Assert.Equal(Describe(emitted), Describe(GatewayConfigPath()));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Grafana_MountsTheProvisioningAndDashboards_AndItsDataSourceUrlIsInflux()
    {
        var mounts = _compose.Mounts("grafana");
        Assert.Contains(mounts, m => m.Source == "./grafana/provisioning" && m.Target == "/etc/grafana/provisioning");
        Assert.Contains(mounts, m => m.Source == "./grafana/dashboards" && m.Target == DashboardJsonTests.ProvisionedDashboardsPath());
        Assert.Equal(InfluxUrl(), _compose.Environment("grafana")["INFLUXDB_URL"]);
    }

    [Fact]
    public void HealthChecks_ProbeTheServersReadinessInfluxPingAndTheBroker()
    {
        Assert.Contains(_compose.HealthCheck("server"), t => t.Contains("/health/ready", StringComparison.Ordinal) && t.Contains(" 200 ", StringComparison.Ordinal));
        Assert.Contains(_compose.HealthCheck("influxdb"), t => t.Contains("/ping", StringComparison.Ordinal) && t.Contains(" 204 ", StringComparison.Ordinal));
        Assert.Contains("mosquitto_sub", _compose.HealthCheck("mosquitto"));
        Assert.NotEmpty(_compose.HealthCheck("grafana"));
        Assert.NotEmpty(_compose.HealthCheck("firmware-sim"));
    }

    private static string GatewayConfigPath() => Path.Combine(RepoPaths.Root, "config", "gateway.compose.json");

    /// <summary>The broker's plain listener on the compose network, where the server and the compose gateway connect.</summary>
    private int MosquittoContainerPort() => _compose.Ports("mosquitto")[0].ContainerFirst;

    private string InfluxUrl() => $"http://influxdb:{_compose.Ports("influxdb").Single().ContainerFirst}";

    [GeneratedRegex(@"dotnet publish (?<project>\S+\.csproj)")]
    private static partial Regex PublishProject();
}
