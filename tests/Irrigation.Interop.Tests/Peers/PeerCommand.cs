using System.Diagnostics;
using System.Text;

namespace Irrigation.Interop.Tests.Peers;

/// <summary>What a finished command printed.</summary>
internal sealed record PeerCommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}; stdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}

/// <summary>Runs a one-shot peer command (mbpoll, a python client) with a deadline; on timeout the whole tree is killed.</summary>
internal static class PeerCommand
{
    public static async Task<PeerCommandResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
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

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s; killed. stdout so far:\n{await stdout}\nstderr:\n{await stderr}");
        }

        return new PeerCommandResult(process.ExitCode, await stdout, await stderr);
    }
}
