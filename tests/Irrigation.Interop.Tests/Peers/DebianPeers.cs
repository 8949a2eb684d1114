namespace Irrigation.Interop.Tests.Peers;

/// <summary>
/// Finds the third-party Modbus peers these tests run against. A missing peer fails the test (never skips it)
/// with the Debian package that provides it.
/// </summary>
internal static class DebianPeers
{
    /// <summary>Debian's interpreter: a <c>python3</c> on PATH may be a pyenv build that cannot import Debian packages.</summary>
    public const string Python = "/usr/bin/python3";

    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private static readonly Lazy<Task<string?>> PymodbusProblem = new(ProbePymodbusAsync);

    /// <summary>Full path of a peer script copied next to the test assembly.</summary>
    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "peers", name);

    /// <summary>Throws unless /usr/bin/python3 can import pymodbus (Debian package python3-pymodbus).</summary>
    public static async Task RequirePymodbusAsync()
    {
        var problem = await PymodbusProblem.Value;
        if (problem is not null)
            throw new InvalidOperationException($"pymodbus peer missing: {problem}. Install it with `apt-get install -y python3-pymodbus` (Debian package python3-pymodbus, 3.0).");
    }

    /// <summary>Returns the path of mbpoll on PATH, or throws naming the Debian package mbpoll.</summary>
    public static string RequireMbpoll()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "mbpoll"))
            .FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException("mbpoll peer missing: no `mbpoll` on PATH. Install it with `apt-get install -y mbpoll` (Debian package mbpoll).");
    }

    private static async Task<string?> ProbePymodbusAsync()
    {
        if (!File.Exists(Python))
            return $"{Python} does not exist";
        var result = await PeerCommand.RunAsync(Python, ["-c", "import pymodbus.server.async_io, pymodbus.client; print(pymodbus.__version__)"], ProbeTimeout);
        return result.ExitCode == 0 ? null : $"{Python} cannot import pymodbus ({result.StandardError.Trim()})";
    }
}
