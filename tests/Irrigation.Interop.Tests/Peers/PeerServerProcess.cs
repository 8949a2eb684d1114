using System.Globalization;
using Irrigation.Testing;

namespace Irrigation.Interop.Tests.Peers;

/// <summary>
/// A long-running peer server (a python script) that binds 127.0.0.1 port 0 and announces "PORT n" on stdout.
/// Started with a deadline; disposing kills its whole process tree. Its stdin is held open: the scripts exit
/// on their own when it closes, so even a test host that dies without disposing leaves nothing behind.
/// </summary>
internal sealed class PeerServerProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private const string PortPrefix = "PORT ";

    private readonly ManagedProcess _process;

    private PeerServerProcess(ManagedProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The TCP port the server announced.</summary>
    public int Port { get; }

    /// <summary>What the server logged so far (pymodbus logs exception responses there), for failure messages.</summary>
    public string StandardError => _process.StandardError;

    public static async Task<PeerServerProcess> StartAsync(string fileName, params string[] arguments)
    {
        var process = ManagedProcess.Start(fileName, arguments);
        try
        {
            var line = await process.WaitForOutputLineAsync(l => l.StartsWith(PortPrefix, StringComparison.Ordinal), "port announcement", StartTimeout);
            return new PeerServerProcess(process, int.Parse(line.AsSpan(PortPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
