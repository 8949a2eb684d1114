using System.Globalization;
using System.Text.Json;
using Irrigation.Testing;

namespace Irrigation.Server.Tests.TestSupport;

/// <summary>What `Irrigation.Benchmarks mqtt-load --summary` wrote: every message it published and the broker acknowledged.</summary>
internal sealed record LoadSummary(long Published, double Seconds, double MessagesPerSecond, int ValuesPerMessage, Dictionary<string, long> PerStation, long FirstTimestampMs, long LastTimestampMs);

/// <summary>The real load generator (Irrigation.Benchmarks mqtt-load) running against the test broker.</summary>
internal sealed class LoadRun : IAsyncDisposable
{
    private readonly ManagedProcess _process;
    private readonly string _summaryPath;
    private readonly TimeSpan _duration;

    private LoadRun(ManagedProcess process, string summaryPath, TimeSpan duration)
    {
        _process = process;
        _summaryPath = summaryPath;
        _duration = duration;
        Started = DateTime.UtcNow;
    }

    public DateTime Started { get; }

    public TimeSpan Elapsed => DateTime.UtcNow - Started;

    public static LoadRun Start(int brokerPort, int stations, double rate, double seconds, string directory)
    {
        var summary = Path.Combine(directory, $"load-summary-{Guid.NewGuid():N}.json");
        string F(double v) => v.ToString(CultureInfo.InvariantCulture);
        var process = ManagedProcess.Start("mqtt-load", RepoPaths.Benchmarks,
            ["mqtt-load", "--broker", $"127.0.0.1:{brokerPort}", "--stations", F(stations), "--rate", F(rate), "--duration-s", F(seconds), "--summary", summary],
            Path.Combine(directory, "load.log"));
        return new LoadRun(process, summary, TimeSpan.FromSeconds(seconds));
    }

    /// <summary>Waits until the run is <paramref name="at"/> old (bounded by the run's own length).</summary>
    public async Task WaitUntilElapsedAsync(TimeSpan at)
    {
        var wait = at - Elapsed;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        if (_process.HasExited && _process.ExitCode != 0)
            throw new InvalidOperationException($"mqtt-load exited with {_process.ExitCode}:\n{_process.Tail()}");
    }

    /// <summary>Waits for the generator to finish (its duration plus a margin) and reads its summary.</summary>
    public async Task<LoadSummary> CompleteAsync()
    {
        try
        {
            await _process.WaitForExitAsync(_duration - Elapsed + TimeSpan.FromSeconds(60));
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"mqtt-load did not finish in time:\n{_process.Tail()}");
        }

        Assert.True(_process.ExitCode == 0, $"mqtt-load exited with {_process.ExitCode}:\n{_process.Tail()}");
        var summary = JsonSerializer.Deserialize<LoadSummary>(await File.ReadAllTextAsync(_summaryPath))!;
        Assert.True(summary.Published > 0 && summary.Published == summary.PerStation.Values.Sum(), $"unexpected summary: {summary}");
        return summary;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
