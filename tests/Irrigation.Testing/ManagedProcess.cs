using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Irrigation.Testing;

/// <summary>
/// A real child process for a test — a service (mosquitto, the server), a peer (mosquitto_sub, a paho or pymodbus
/// script) or a one-shot command (mbpoll): output captured line by line (and echoed to a log file), stdout and
/// stderr also kept apart, waits with deadlines, graceful stop (SIGTERM) or kill -9, and the whole tree killed on
/// dispose so nothing outlives a test. Its stdin is held open, so peers that exit on EOF go away by themselves if
/// the test host dies.
/// </summary>
public sealed partial class ManagedProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter? _log;
    private readonly Lock _logSync = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    /// <summary>Output kept per stream: a long-running service logs for the whole test (or benchmark) and nobody reads all of it.</summary>
    private const int MaxKeptChars = 4 * 1024 * 1024;

    private readonly Channel<string> _stdoutLines = Channel.CreateBounded<string>(new BoundedChannelOptions(20_000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

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

    /// <summary>Everything written to stdout so far.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_stdout)
                return _stdout.ToString();
        }
    }

    /// <summary>Everything written to stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    /// <summary>A peer or command, named after its file.</summary>
    public static ManagedProcess Start(string fileName, IEnumerable<string> arguments) =>
        Start(Path.GetFileName(fileName), fileName, arguments);

    /// <summary>Runs a one-shot command to its end (stdin closed); on timeout the whole tree is killed and <see cref="TimeoutException"/> thrown.</summary>
    public static async Task<ManagedProcess> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var process = Start(fileName, arguments);
        process._process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(timeout);
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

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
        process.OutputDataReceived += (_, e) => managed.OnStandardOutput(e.Data);
        process.ErrorDataReceived += (_, e) => managed.OnStandardError(e.Data);
        if (!process.Start())
            throw new InvalidOperationException($"{name}: could not start {fileName}.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    private void OnStandardOutput(string? line)
    {
        if (line is null)
        {
            _stdoutLines.Writer.TryComplete();
            _stdoutClosed.TrySetResult();
            return;
        }

        lock (_stdout)
        {
            if (_stdout.Length < MaxKeptChars)
                _stdout.AppendLine(line);
        }

        _stdoutLines.Writer.TryWrite(line);
        OnLine(line);
    }

    private void OnStandardError(string? line)
    {
        if (line is null)
            return;
        lock (_stderr)
        {
            if (_stderr.Length < MaxKeptChars)
                _stderr.AppendLine(line);
        }
        OnLine(line);
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

    /// <summary>
    /// Waits for the next stdout line that satisfies <paramref name="match"/>, in order: the lines before it are
    /// consumed, so waiting twice finds two different lines.
    /// </summary>
    public async Task<string> WaitForOutputLineAsync(Func<string, bool> match, string what, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(match);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (await _stdoutLines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (_stdoutLines.Reader.TryRead(out var line))
                {
                    if (match(line))
                        return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name}: no {what} within {timeout.TotalSeconds:0.#} s.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        throw new InvalidOperationException($"{Name} exited (code {_process.ExitCode}) before printing {what}.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
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

    /// <summary>Waits for exit and for stdout to be read to its end; returns the exit code. On timeout kills the tree and throws.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            await _stdoutClosed.Task.WaitAsync(deadline.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            KillTree();
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0.#} s; killed.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }
    }

    /// <summary>SIGKILL to the process and its children.</summary>
    public void KillTree()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
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
