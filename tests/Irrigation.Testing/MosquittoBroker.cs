namespace Irrigation.Testing;

/// <summary>
/// A real mosquitto on 127.0.0.1 for a test, configured like production for no loss (unlimited queues,
/// persistence), that can be stopped (SIGTERM, so it saves its persistence file) and started again on the
/// same port and data directory.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _binary;
    private ManagedProcess? _process;

    private MosquittoBroker(string directory, int port, string binary)
    {
        _directory = directory;
        Port = port;
        _binary = binary;
    }

    public int Port { get; }

    public string Directory => _directory;

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<MosquittoBroker> StartAsync(string? extraConfig = null)
    {
        var binary = RequiredTool.Find("mosquitto", "mosquitto");
        var directory = Path.Combine(Path.GetTempPath(), "irrigation-mosquitto-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var broker = new MosquittoBroker(directory, FreePort.Next(), binary);
        File.WriteAllText(Path.Combine(directory, "mosquitto.conf"), $"""
            user {Environment.UserName}
            listener {broker.Port} 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location {directory}/
            autosave_interval 1
            max_queued_messages 0
            max_queued_bytes 0
            max_inflight_messages 0
            log_dest stdout
            log_type error
            log_type warning
            log_type notice
            {extraConfig ?? ""}
            """);
        try
        {
            await broker.RestartAsync();
        }
        catch
        {
            await broker.DisposeAsync(); // never leave a half-started broker behind a failed test
            throw;
        }

        return broker;
    }

    /// <summary>Starts mosquitto (again) on the same port and persistence directory.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
            return;
        if (_process is not null)
            await _process.DisposeAsync();
        _process = ManagedProcess.Start("mosquitto", _binary, ["-c", Path.Combine(_directory, "mosquitto.conf")], Path.Combine(_directory, "mosquitto.log"));
        await FreePort.WaitUntilOpenAsync(Port, TimeSpan.FromSeconds(20), "mosquitto");
    }

    /// <summary>Graceful stop: mosquitto writes its persistence file, as on a service restart.</summary>
    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(10)) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
            await _process.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying process: the temp directory is cleaned by the OS later.
        }
    }
}
