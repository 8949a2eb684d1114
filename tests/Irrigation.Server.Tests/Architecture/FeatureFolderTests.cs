using System.Text.RegularExpressions;

namespace Irrigation.Server.Tests.Architecture;

/// <summary>
/// The server's feature folders (src/Irrigation.Server/{Feature}/, namespace Irrigation.Server.{Feature}) and which
/// uses which, read from their <c>using Irrigation.Server.X;</c> and fully qualified names: no cycles, and the data
/// path (ingestion, latest state, storage) never depends on what is built on top of it.
/// </summary>
public sealed partial class FeatureFolderTests
{
    private static readonly string ServerSource = Path.Combine(RepoPaths.Root, "src", "Irrigation.Server");

    private static Dictionary<string, SortedSet<string>> Dependencies()
    {
        var folders = Directory.GetDirectories(ServerSource).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj" or "wwwroot")).ToHashSet(StringComparer.Ordinal);
        var edges = folders.ToDictionary(f => f!, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(ServerSource, folder!), "*.cs", SearchOption.AllDirectories))
            {
                var source = File.ReadAllText(file);
                Assert.True(source.Contains($"namespace Irrigation.Server.{folder};", StringComparison.Ordinal), $"{file}: its namespace must be Irrigation.Server.{folder}");
                foreach (Match m in Reference().Matches(source))
                {
                    var target = m.Groups["folder"].Value;
                    if (target != folder && folders.Contains(target))
                        edges[folder!].Add(target);
                }
            }
        }

        return edges;
    }

    [Fact]
    public void FeatureFolders_HaveNoDependencyCycles()
    {
        var edges = Dependencies();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var path = new Stack<string>();

        void Visit(string folder)
        {
            state[folder] = 1;
            path.Push(folder);
            foreach (var next in edges[folder])
            {
                if (state.GetValueOrDefault(next) == 1)
                    Assert.Fail($"dependency cycle: {string.Join(" → ", path.Reverse().SkipWhile(f => f != next))} → {next}");
                if (state.GetValueOrDefault(next) == 0)
                    Visit(next);
            }

            path.Pop();
            state[folder] = 2;
        }

        foreach (var folder in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(folder) == 0)
                Visit(folder);
        }
    }

    [Theory]
    [InlineData("Ingestion")]
    [InlineData("State")]
    [InlineData("Storage")]
    [InlineData("Messaging")]
    public void DataPath_DoesNotReachFeaturesBuiltOnIt(string folder)
    {
        var edges = Dependencies();
        var reached = new SortedSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([folder]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var target in edges[next])
            {
                if (reached.Add(target))
                    queue.Enqueue(target);
            }
        }

        string[] above = ["Accounting", "Accounts", "Alarms", "Commands", "Diagnostics", "Stations"];
        Assert.Empty(reached.Intersect(above));
    }

    [Fact]
    public void InfluxQl_IsWrittenOnlyInTheStorageFolder()
    {
        foreach (var file in Directory.EnumerateFiles(ServerSource, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Storage{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var source = File.ReadAllText(file);
            var match = InfluxQl().Match(source);
            Assert.False(match.Success, $"{Path.GetRelativePath(ServerSource, file)}: InfluxQL '{match.Value}' belongs in Storage/");
        }
    }

    [Fact]
    public void ProgramCs_ReadsAsATableOfContents()
    {
        var lines = File.ReadAllLines(Path.Combine(ServerSource, "Program.cs"));
        // 80 when 17 features were listed, 86 with notifications and reports, 88 with the SL 651 uplink, 90 with leadership
        // (each a using and an Add…, no endpoints); each feature adds at most three lines (its using, Add… and Map…), nothing more.
        Assert.True(lines.Length <= 90, $"Program.cs has {lines.Length} lines; a feature's registration belongs in its folder.");
    }

    [GeneratedRegex(@"(?:using\s+|[^\w.])Irrigation\.Server\.(?<folder>[A-Z]\w*)")]
    private static partial Regex Reference();

    /// <summary>A query over a retention policy or measurement, as the server's features would write one: SELECT … FROM "…", SHOW TAG VALUES.</summary>
    [GeneratedRegex(@"SELECT [^""\n]*FROM \\""|SHOW TAG VALUES|SHOW MEASUREMENTS", RegexOptions.IgnoreCase)]
    private static partial Regex InfluxQl();
}
