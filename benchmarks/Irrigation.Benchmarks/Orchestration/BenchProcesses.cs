using System.Globalization;
using System.Text.Json;
using Irrigation.Benchmarks.Load;
using Irrigation.Testing;

namespace Irrigation.Benchmarks.Orchestration;

/// <summary>Linux process figures and the child processes a benchmark runs (this program's own commands, the server).</summary>
internal static class BenchProcesses
{
    /// <summary>This program, to run its own commands (mqtt-load, BenchmarkDotNet) as separate processes.</summary>
    public static string Self => Environment.ProcessPath ?? throw new InvalidOperationException("no process path");

    /// <summary>Peak resident set (VmHWM) of a process, MB; 0 when it is gone.</summary>
    public static long PeakRssMb(int pid)
    {
        var path = $"/proc/{pid}/status";
        if (pid <= 0 || !File.Exists(path))
            return 0;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>Starts the load generator (<c>mqtt-load</c>) as its own process, so its CPU is its own.</summary>
    public static ManagedProcess StartLoad(int brokerPort, int stations, double rate, double seconds, int publishers, string prefix, string summaryPath, string logPath) =>
        ManagedProcess.Start("mqtt-load", Self,
        [
            "mqtt-load", "--broker", $"127.0.0.1:{brokerPort}", "--stations", F(stations), "--rate", F(rate), "--values", "15",
            "--duration-s", F(seconds), "--publishers", F(publishers), "--id-prefix", prefix, "--summary", summaryPath,
        ], logPath);

    public static MqttLoadSummary ReadSummary(string path) =>
        JsonSerializer.Deserialize<MqttLoadSummary>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty load summary");

    public static string F(double value) => value.ToString(CultureInfo.InvariantCulture);
}
