using System.Text.RegularExpressions;
using Irrigation.Testing;

namespace Irrigation.Deployment.Tests.Compose;

/// <summary>
/// The server's options classes as declared in src/Irrigation.Server/Configuration/ServerOptions.cs: class name →
/// property name → type name. Read from the source rather than by reflection so this test project does not build
/// the server (run as a process, it is built by the solution build).
/// </summary>
public static partial class ServerOptionsSource
{
    public const string Section = "Irrigation";

    public const string RootClass = "ServerOptions";

    public static IReadOnlyDictionary<string, Dictionary<string, string>> Classes { get; } = Read();

    /// <summary>Whether "Mqtt", "Port" (or "StationFiles", "0") names a settable leaf, case-insensitively like the binder.</summary>
    public static bool Resolves(IEnumerable<string> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var type = RootClass;
        foreach (var segment in path)
        {
            if (ListElement().Match(type) is { Success: true } list && int.TryParse(segment, out _))
            {
                type = list.Groups[1].Value;
                continue;
            }

            if (!Classes.TryGetValue(type, out var properties))
                return false;
            var property = properties.FirstOrDefault(p => string.Equals(p.Key, segment, StringComparison.OrdinalIgnoreCase));
            if (property.Key is null)
                return false;
            type = property.Value;
        }

        return !Classes.ContainsKey(type) && !ListElement().IsMatch(type);
    }

    private static Dictionary<string, Dictionary<string, string>> Read()
    {
        var source = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Irrigation.Server", "Configuration", "ServerOptions.cs"));
        var classes = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var declarations = ClassDeclaration().Matches(source);
        for (var i = 0; i < declarations.Count; i++)
        {
            var start = declarations[i].Index;
            var end = i + 1 < declarations.Count ? declarations[i + 1].Index : source.Length;
            classes[declarations[i].Groups["name"].Value] = Property().Matches(source[start..end])
                .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value.TrimEnd('?'), StringComparer.Ordinal);
        }

        return classes;
    }

    [GeneratedRegex(@"\bclass\s+(?<name>\w+)")]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"public\s+(?<type>[\w<>?,\s]+?)\s+(?<name>\w+)\s*\{\s*get;\s*set;\s*\}")]
    private static partial Regex Property();

    [GeneratedRegex(@"^(?:List|IList|IReadOnlyList|ICollection)<(\w+)>$")]
    private static partial Regex ListElement();
}
