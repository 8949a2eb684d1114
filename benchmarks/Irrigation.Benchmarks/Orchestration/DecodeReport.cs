using Irrigation.Testing;

namespace Irrigation.Benchmarks.Orchestration;

/// <summary>Decode → encode per message, from BenchmarkDotNet's GitHub report of <c>DecodeBenchmarks</c> (short job, in-process).</summary>
internal sealed record DecodeReport(string Mean15, string Allocated15, string Mean36, string Allocated36)
{
    public static async Task<DecodeReport> RunAsync(string directory, CancellationToken cancellationToken)
    {
        await using (var bdn = ManagedProcess.Start("BenchmarkDotNet", BenchProcesses.Self,
                         ["--filter", "*DecodeBenchmarks*", "--job", "short", "--exporters", "github"], Path.Combine(directory, "bdn.log"), workingDirectory: directory))
        {
            if (await bdn.WaitForExitAsync(TimeSpan.FromMinutes(15)) != 0)
                throw new InvalidOperationException($"BenchmarkDotNet failed:\n{bdn.Tail()}");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var report = Directory.GetFiles(Path.Combine(directory, "BenchmarkDotNet.Artifacts", "results"), "*DecodeBenchmarks-report-github.md").Single();
        var rows = Table(await File.ReadAllLinesAsync(report, cancellationToken));
        string Cell(string method, string column) => rows.TryGetValue(method, out var row) && row.TryGetValue(column, out var value) ? value : "?";
        static string Bytes(string allocated) => allocated == "-" ? "0 B" : allocated;
        return new DecodeReport(Cell("Decode15Values", "Mean"), Bytes(Cell("Decode15Values", "Allocated")),
            Cell("DecodePumpStationSnapshot", "Mean"), Bytes(Cell("DecodePumpStationSnapshot", "Allocated")));
    }

    /// <summary>| Method | Mean | … | Allocated |: each row by its method, each cell by its column's header.</summary>
    private static Dictionary<string, Dictionary<string, string>> Table(string[] lines)
    {
        var rows = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        string[]? header = null;
        foreach (var line in lines.Where(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells.Length > 0 && cells[0] == "Method")
                header = cells;
            else if (header is not null && cells.Length == header.Length && !cells[0].StartsWith('-'))
                rows[cells[0]] = header.Zip(cells).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        }

        return rows;
    }
}
