using System.Text.RegularExpressions;
using Irrigation.Testing;

namespace Irrigation.Deployment.Tests.Compose;

/// <summary>
/// The server's options classes as declared in src/Irrigation.Server/**/*Options.cs (and the gateway configuration's
/// types it binds): class name → property name → type
/// name, and each feature's section (<c>Section => "Irrigation:Mqtt"</c>) → its class. Read from the source rather than
/// by reflection so this test project does not build the server (run as a process, it is built by the solution build).
/// </summary>
public static partial class ServerOptionsSource
{
    public const string Section = "Irrigation";

    public const string RootClass = "SiteOptions";

    public static IReadOnlyDictionary<string, Dictionary<string, string>> Classes { get; } = Read();

    /// <summary>A feature's section under "Irrigation" ("Mqtt") → its options class.</summary>
    public static IReadOnlyDictionary<string, string> Sections { get; } = ReadSections();

    /// <summary>Whether "Mqtt", "Port" (or "StationFiles", "0") names a settable leaf, case-insensitively like the binder.</summary>
    public static bool Resolves(IEnumerable<string> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var type = RootClass;
        var first = true;
        foreach (var segment in path)
        {
            if (first && Sections.FirstOrDefault(s => string.Equals(s.Key, segment, StringComparison.OrdinalIgnoreCase)) is { Key: not null } section)
            {
                type = section.Value;
                first = false;
                continue;
            }

            first = false;
            if (ListElement().Match(type) is { Success: true } list && int.TryParse(segment, out _))
            {
                type = list.Groups[1].Value;
                continue;
            }

            if (DictionaryValue().Match(type) is { Success: true } dictionary)
            {
                type = dictionary.Groups[1].Value; // the segment is a key (a gateway id, a rule id)
                continue;
            }

            if (!Classes.TryGetValue(type, out var properties))
                return false;
            var property = properties.FirstOrDefault(p => string.Equals(p.Key, segment, StringComparison.OrdinalIgnoreCase));
            if (property.Key is null)
                return false;
            type = property.Value;
        }

        return !Classes.ContainsKey(type) && !ListElement().IsMatch(type) && !DictionaryValue().IsMatch(type);
    }

    /// <summary>The server's options files, and the gateway configuration's, whose types the server binds too (the command keys).</summary>
    private static IEnumerable<string> Sources() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src", "Irrigation.Server"), "*Options.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Append(Path.Combine(RepoPaths.Root, "src", "Irrigation.Gateway.Configuration", "GatewayOptions.cs"))
            .Select(File.ReadAllText);

    private static Dictionary<string, string> ReadSections()
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in Sources())
        {
            foreach (Match m in SectionDeclaration().Matches(source))
                sections[m.Groups["section"].Value] = m.Groups["class"].Value;
        }

        return sections;
    }

    private static Dictionary<string, Dictionary<string, string>> Read()
    {
        var classes = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var source in Sources())
            ReadClasses(source, classes);
        return classes;
    }

    private static void ReadClasses(string source, Dictionary<string, Dictionary<string, string>> classes)
    {
        var declarations = ClassDeclaration().Matches(source);
        for (var i = 0; i < declarations.Count; i++)
        {
            var start = declarations[i].Index;
            var end = i + 1 < declarations.Count ? declarations[i + 1].Index : source.Length;
            classes[declarations[i].Groups["name"].Value] = Property().Matches(source[start..end])
                .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value.TrimEnd('?'), StringComparer.Ordinal);
        }
    }

    // The Section may follow constants and comments (ServerInfluxOptions), but not another class's declaration.
    [GeneratedRegex(@"\bclass\s+(?<class>\w+)\s*:\s*IFeatureOptions\b(?:(?!\bclass\s)[\s\S])*?public\s+static\s+string\s+Section\s*=>\s*""Irrigation:(?<section>\w+)""")]
    private static partial Regex SectionDeclaration();

    [GeneratedRegex(@"\bclass\s+(?<name>\w+)")]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"public\s+(?<type>[\w<>?,\s]+?)\s+(?<name>\w+)\s*\{\s*get;\s*set;\s*\}")]
    private static partial Regex Property();

    [GeneratedRegex(@"^(?:List|IList|IReadOnlyList|ICollection)<(\w+)>$")]
    private static partial Regex ListElement();

    [GeneratedRegex(@"^(?:Dictionary|IDictionary|IReadOnlyDictionary)<string,\s*(.+)>$")]
    private static partial Regex DictionaryValue();
}
