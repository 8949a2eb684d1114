namespace Irrigation.Testing;

/// <summary>
/// A real mosquitto 2.0 on 127.0.0.1 for a test, configured like production for no loss: persistence on, and the
/// queue limits lifted (<c>max_queued_messages 0</c>, <c>max_inflight_messages 0</c>) — with the defaults mosquitto
/// silently drops QoS 1 messages for a subscriber more than 1000 behind. It can be stopped (SIGTERM, so it saves its
/// persistence file) and started again on the same port and data directory. Disposing kills it and deletes the
/// directory.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

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

    /// <summary>The running process id (0 when stopped), for CPU and memory figures.</summary>
    public int ProcessId => _process is { HasExited: false } p ? p.Id : 0;

    public string LogPath => Path.Combine(_directory, "mosquitto.log");

    /// <summary>What mosquitto logged so far, for failure messages.</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log yet)";

    /// <param name="extraConfig">More configuration lines (a second listener, an ACL …).</param>
    public static Task<MosquittoBroker> StartAsync(string? extraConfig = null) =>
        StartAsync(_ => Task.FromResult(extraConfig ?? ""));

    /// <param name="extraConfig">Gets the broker directory (to write certificates or a password file into) and returns more configuration lines.</param>
    /// <param name="allowAnonymous">False: only users of a password file the extra configuration names may connect.</param>
    public static async Task<MosquittoBroker> StartAsync(Func<string, Task<string>> extraConfig, bool allowAnonymous = true)
    {
        ArgumentNullException.ThrowIfNull(extraConfig);
        var binary = RequiredTool.Find("mosquitto", "mosquitto");
        var directory = Path.Combine(Path.GetTempPath(), "irrigation-mosquitto-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var broker = new MosquittoBroker(directory, FreePort.Next(), binary);
        try
        {
            var extra = await extraConfig(directory);
            await File.WriteAllTextAsync(Path.Combine(directory, "mosquitto.conf"), $"""
                per_listener_settings false
                user {Environment.UserName}
                listener {broker.Port} 127.0.0.1
                allow_anonymous {(allowAnonymous ? "true" : "false")}
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
                log_type information
                {extra}
                """);
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
        // Started as root, mosquitto 2.0 switches to user "mosquitto", which cannot write this directory: the
        // configuration names the current user, so its database is saved (no effect when not root).
        _process = ManagedProcess.Start("mosquitto", _binary, ["-c", Path.Combine(_directory, "mosquitto.conf")], LogPath);
        try
        {
            await FreePort.WaitUntilOpenAsync(Port, StartTimeout, "mosquitto");
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"mosquitto did not start on 127.0.0.1:{Port}.\nlog:\n{Log}", ex);
        }
    }

    /// <summary>Graceful stop (SIGTERM, as a service manager stops it): mosquitto writes its persistence file and closes every connection.</summary>
    public Task StopAsync() => _process?.StopAsync(StopTimeout) ?? Task.CompletedTask;

    /// <summary>
    /// kill -9: mosquitto saves nothing on the way out, so whatever it queued since its last autosave is gone — as when
    /// the machine loses power. <see cref="RestartAsync"/> starts it again from the last saved file.
    /// </summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process)
            return;
        process.KillHard();
        await process.WaitForExitAsync(StopTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
            await _process.DisposeAsync();
        _process = null;
        TempDirectory.TryDelete(_directory);
    }
}
