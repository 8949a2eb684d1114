using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Irrigation.Testing;

/// <summary>
/// A real child process for a test: output captured line by line (and echoed to a log file), waits with
/// deadlines, graceful stop (SIGTERM) or kill -9, and the whole tree killed on dispose so nothing outlives a test.
/// </summary>
public sealed partial class ManagedProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter? _log;
    private readonly Lock _logSync = new();

    private ManagedProcess(string name, Process process, string? logPath)
    {
        Name = name;
        _process = process;
        if (logPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
            _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        }
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyCollection<string> Lines => _lines;

    public string Output => string.Join('\n', _lines);

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>; a .dll is run with `dotnet`.</summary>
    public static ManagedProcess Start(string name, string fileName, IEnumerable<string> arguments, string? logPath = null, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var info = new ProcessStartInfo
        {
            FileName = fileName.EndsWith(".dll", StringComparison.Ordinal) ? "dotnet" : fileName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (fileName.EndsWith(".dll", StringComparison.Ordinal))
            info.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var managed = new ManagedProcess(name, process, logPath);
        process.OutputDataReceived += (_, e) => managed.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => managed.OnLine(e.Data);
        if (!process.Start())
            throw new InvalidOperationException($"{name}: could not start {fileName}.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        _lines.Enqueue(line);
        while (_lines.Count > 20_000 && _lines.TryDequeue(out _))
        {
            // keep the newest lines only
        }

        lock (_logSync)
            _log?.WriteLine(line);
    }

    /// <summary>Waits until a line of output satisfies <paramref name="predicate"/>; fails with the output so far.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var match = _lines.FirstOrDefault(predicate);
            if (match is not null)
                return match;
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before the expected output. Output:\n{Tail()}");
            await Task.Delay(50);
        }

        throw new TimeoutException($"{Name}: expected output did not appear within {timeout.TotalSeconds:0} s. Output:\n{Tail()}");
    }

    public string Tail(int lines = 40) => string.Join('\n', _lines.TakeLast(lines));

    /// <summary>SIGTERM, then wait for exit (SIGKILL after the timeout).</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
            return;
        _ = Kill(_process.Id, SigTerm);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            KillHard();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>kill -9: no shutdown code runs, as when a machine loses power or the OOM killer strikes.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
            _ = Kill(_process.Id, SigKill);
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public int ExitCode => _process.ExitCode;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            OnLine($"[test] dispose: {ex.Message}");
        }

        _process.Dispose();
        lock (_logSync)
            _log?.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
