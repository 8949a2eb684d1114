namespace Irrigation.Testing;

/// <summary>The real irrigation-gateway program, started for a test.</summary>
public static class GatewayProcess
{
    public static async Task<ManagedProcess> StartAsync(string configPath, string logPath)
    {
        var process = ManagedProcess.Start("irrigation-gateway", RepoPaths.Gateway, ["--config", configPath], logPath, workingDirectory: Path.GetDirectoryName(configPath));
        try
        {
            await process.WaitForLineAsync(l => l.Contains("station(s),", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        }
        catch
        {
            await process.DisposeAsync(); // never leave a half-started gateway behind a failed test
            throw;
        }

        return process;
    }
}
