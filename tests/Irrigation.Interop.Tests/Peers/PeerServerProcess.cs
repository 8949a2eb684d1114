using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Irrigation.Interop.Tests.Peers;

/// <summary>
/// A long-running peer server (a python script) that binds 127.0.0.1 port 0 and announces "PORT n" on stdout.
/// Started with a deadline; disposing kills its whole process tree. Its stdin is held open: the scripts exit
/// on their own when it closes, so even a test host that dies without disposing leaves nothing behind.
/// </summary>
internal sealed class PeerServerProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(5);

    private const string PortPrefix = "PORT ";

    private readonly Process _process;
    private readonly string _description;
    private readonly StringBuilder _stderr = new();

    private PeerServerProcess(Process process, string description)
    {
        _process = process;
        _description = description;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (_stderr)
                _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>The TCP port the server announced.</summary>
    public int Port { get; private set; }

    /// <summary>What the server logged so far (pymodbus logs exception responses there), for failure messages.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    public static async Task<PeerServerProcess> StartAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var description = $"{fileName} {string.Join(' ', arguments)}";

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {description}.");
        var server = new PeerServerProcess(process, description);
        try
        {
            server.Port = await server.ReadPortAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task<int> ReadPortAsync()
    {
        using var deadline = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            string? line;
            try
            {
                line = await _process.StandardOutput.ReadLineAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{_description} announced no port within {StartTimeout.TotalSeconds:0} s. stderr:\n{StandardError}");
            }

            if (line is null)
            {
                await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(ExitTimeout);
                throw new InvalidOperationException($"{_description} exited with code {_process.ExitCode} before announcing a port. stderr:\n{StandardError}");
            }

            if (line.StartsWith(PortPrefix, StringComparison.Ordinal))
                return int.Parse(line.AsSpan(PortPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(ExitTimeout);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already gone, or the kill was sent and did not finish in time: nothing more a test can do.
        }

        _process.Dispose();
    }
}
