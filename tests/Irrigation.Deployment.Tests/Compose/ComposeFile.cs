using System.Text.RegularExpressions;
using Irrigation.Testing;
using YamlDotNet.RepresentationModel;

namespace Irrigation.Deployment.Tests.Compose;

/// <summary>A bind mount or named volume of a service: "./config/x.conf:/etc/x.conf:ro" or "data:/data".</summary>
public sealed record ComposeMount(string Source, string Target)
{
    public bool IsBind => Source.StartsWith("./", StringComparison.Ordinal) || Source.StartsWith("../", StringComparison.Ordinal) || Source.StartsWith('/');
}

/// <summary>A published port range: "127.0.0.1:5020-5024:5020-5024".</summary>
public sealed record ComposePort(string HostIp, int HostFirst, int HostLast, int ContainerFirst, int ContainerLast);

/// <summary>docker-compose.yml read with YamlDotNet; only what the consistency tests look at.</summary>
public sealed partial class ComposeFile
{
    private readonly YamlMappingNode _root;

    private ComposeFile(YamlMappingNode root)
    {
        _root = root;
    }

    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "docker-compose.yml");

    public static ComposeFile Load()
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path));
        stream.Load(reader);
        return new ComposeFile((YamlMappingNode)stream.Documents[0].RootNode);
    }

    public IReadOnlyList<string> Services => Mapping(_root, "services").Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToArray();

    /// <summary>The services `docker compose up` starts: those in no profile.</summary>
    public IReadOnlyList<string> DefaultServices => Services.Where(s => Profiles(s).Count == 0).ToArray();

    /// <summary>The services of one profile (`docker compose --profile NAME`).</summary>
    public IReadOnlyList<string> ProfileServices(string profile) => Services.Where(s => Profiles(s).Contains(profile)).ToArray();

    public IReadOnlyList<string> Profiles(string service) => List(Service(service), "profiles");

    public IReadOnlyList<string> NamedVolumes => Mapping(_root, "volumes").Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToArray();

    public YamlMappingNode Service(string name) => Mapping(Mapping(_root, "services"), name);

    public static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    public static YamlMappingNode Mapping(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    public static IReadOnlyList<string> List(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlSequenceNode)value).Children.Select(c => ((YamlScalarNode)c).Value!).ToArray() : [];

    public IReadOnlyList<ComposeMount> Mounts(string service) =>
        List(Service(service), "volumes").Select(v => v.Split(':')).Select(p => new ComposeMount(p[0], p[1])).ToArray();

    public IReadOnlyList<ComposePort> Ports(string service) =>
        List(Service(service), "ports").Select(p =>
        {
            var m = PortSpec().Match(p);
            Assert.True(m.Success, $"{service}: port '{p}' is not HOST_IP:HOST[-HOST]:CONTAINER[-CONTAINER]");
            int Int(string group, string fallback) => int.Parse(m.Groups[group].Success ? m.Groups[group].Value : m.Groups[fallback].Value, System.Globalization.CultureInfo.InvariantCulture);
            return new ComposePort(m.Groups["ip"].Value, Int("h1", "h1"), Int("h2", "h1"), Int("c1", "c1"), Int("c2", "c1"));
        }).ToArray();

    /// <summary>Environment of a service (mapping form), with "${NAME:-default}" resolved to its default.</summary>
    public IReadOnlyDictionary<string, string> Environment(string service)
    {
        var node = Service(service);
        if (!node.Children.TryGetValue(new YamlScalarNode("environment"), out var environment))
            return new Dictionary<string, string>();
        return ((YamlMappingNode)environment).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Resolve(((YamlScalarNode)kv.Value).Value!), StringComparer.Ordinal);
    }

    public IReadOnlyList<string> Command(string service) => List(Service(service), "command").Select(Resolve).ToArray();

    /// <summary>The services this one waits for, with the condition (service_started, service_healthy).</summary>
    public IReadOnlyDictionary<string, string> DependsOn(string service) =>
        Service(service).Children.TryGetValue(new YamlScalarNode("depends_on"), out var value)
            ? ((YamlMappingNode)value).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Scalar((YamlMappingNode)kv.Value, "condition")!, StringComparer.Ordinal)
            : new Dictionary<string, string>();

    public IReadOnlyList<string> HealthCheck(string service) => List(Mapping(Service(service), "healthcheck"), "test").Select(Resolve).ToArray();

    /// <summary>Compose interpolation as it happens when no .env overrides anything: ${NAME:-default} → default, $$ → $.</summary>
    public static string Resolve(string value) => Interpolation().Replace(value, m => m.Groups["default"].Value).Replace("$$", "$", StringComparison.Ordinal);

    /// <summary>The value after <paramref name="option"/> in a command line.</summary>
    public static string Option(IReadOnlyList<string> command, string option)
    {
        var i = command.ToList().IndexOf(option);
        Assert.True(i >= 0 && i + 1 < command.Count, $"'{option}' not in command [{string.Join(' ', command)}]");
        return command[i + 1];
    }

    [GeneratedRegex(@"\$\{\w+:-(?<default>[^}]*)\}")]
    private static partial Regex Interpolation();

    [GeneratedRegex(@"^(?<ip>[\d.]+):(?<h1>\d+)(?:-(?<h2>\d+))?:(?<c1>\d+)(?:-(?<c2>\d+))?$")]
    private static partial Regex PortSpec();
}
