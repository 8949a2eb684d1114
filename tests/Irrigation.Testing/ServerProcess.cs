using System.Net;

namespace Irrigation.Testing;

/// <summary>
/// The real irrigation-server program, started for a test and configured only through its environment variables
/// (<c>Irrigation__Mqtt__Port</c>, <c>Irrigation__Influx__Url</c>, ...), as run.sh and docker-compose.yml configure it.
/// </summary>
public static class ServerProcess
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts the server on 127.0.0.1:<paramref name="httpPort"/>; returns once /health/ready answers 200.</summary>
    public static async Task<ManagedProcess> StartAsync(int httpPort, IDictionary<string, string> environment, string logPath, string? workingDirectory = null)
    {
        var url = $"http://127.0.0.1:{httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}/";
        var process = ManagedProcess.Start("irrigation-server", RepoPaths.Server, ["--urls", url], logPath, environment, workingDirectory);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
            await HttpReadiness.WaitAsync(http, "health/ready", HttpStatusCode.OK, StartTimeout, "irrigation-server", () => process);
        }
        catch
        {
            await process.DisposeAsync(); // never leave a half-started server behind a failed test
            throw;
        }

        return process;
    }
}
