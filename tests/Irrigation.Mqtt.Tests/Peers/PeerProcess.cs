using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Irrigation.Mqtt.Tests.Peers;

/// <summary>
/// A peer process (mosquitto_sub, paho script, the test peer) whose stdout lines a test waits for with deadlines.
/// Disposing kills the whole process tree if it is still running. Its stdin is held open, so peers that exit on
/// EOF go away by themselves if the test host dies.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PeerProcess(Process process, string description)
    {
        _process = process;
        Description = description;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
                _stdoutClosed.TrySetResult();
                return;
            }

            lock (_stdout)
                _stdout.AppendLine(e.Data);
            _lines.Writer.TryWrite(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (_stderr)
                _stderr.AppendLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Description { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
                return _stdout.ToString();
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    public static PeerProcess Start(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var description = $"{fileName} {string.Join(' ', start.ArgumentList)}";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {description}.");
        return new PeerProcess(process, description);
    }

    /// <summary>Waits for a stdout line that satisfies <paramref name="match"/>; earlier lines are consumed.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (match(line))
                        return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Description}: no {what} within {timeout.TotalSeconds:0.#} s.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        await WaitForExitAsync(ExitTimeout);
        throw new InvalidOperationException($"{Description} exited (code {_process.ExitCode}) before printing {what}.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
    }

    /// <summary>Waits for exit and for stdout to be read to the end; kills the tree and throws on timeout.</summary>
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
            Kill();
            throw new TimeoutException($"{Description} did not exit within {timeout.TotalSeconds:0.#} s; killed.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }
    }

    /// <summary>SIGKILL to the whole tree.</summary>
    public void Kill()
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

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(ExitTimeout);
        }
        catch (TimeoutException)
        {
            // The kill was sent; nothing more a test can do.
        }

        _process.Dispose();
    }
}
