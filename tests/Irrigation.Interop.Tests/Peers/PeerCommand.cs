using Irrigation.Testing;

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
        await using var process = await ManagedProcess.RunAsync(fileName, arguments, timeout);
        return new PeerCommandResult(process.ExitCode, process.StandardOutput, process.StandardError);
    }
}
