using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Irrigation.Mqtt.Client;

namespace Irrigation.Mqtt.Tests.Peers;

/// <summary>
/// A real mosquitto 2.0 on 127.0.0.1 with a generated configuration in its own temp directory: persistence on,
/// and the queue limits lifted (<c>max_queued_messages 0</c>, <c>max_inflight_messages 0</c>) — with the defaults
/// mosquitto silently drops QoS 1 messages for a subscriber more than 1000 behind. Can be stopped with SIGTERM
/// (it then saves its database) and started again on the same port and directory. Disposing kills it and
/// deletes the directory.
/// </summary>
internal sealed class MosquittoBroker : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory;
    private readonly string _configPath;
    private PeerProcess? _process;

    private MosquittoBroker(DirectoryInfo directory, int port, string configPath)
    {
        _directory = directory;
        Port = port;
        _configPath = configPath;
    }

    public int Port { get; }

    public string DirectoryPath => _directory.FullName;

    public string LogPath => Path.Combine(_directory.FullName, "mosquitto.log");

    /// <summary>What mosquitto logged so far, for failure messages.</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log yet)";

    /// <param name="extraConfig">Gets the broker directory (to write certificates or a password file into) and returns more configuration lines.</param>
    public static async Task<MosquittoBroker> StartAsync(Func<string, Task<string>>? extraConfig = null, bool allowAnonymous = true)
    {
        DebianMqttPeers.Require(DebianMqttPeers.Mosquitto);
        var directory = Directory.CreateTempSubdirectory("irrigation-mosquitto-");
        var port = FreePort();
        var configPath = Path.Combine(directory.FullName, "mosquitto.conf");
        var extra = extraConfig is null ? string.Empty : await extraConfig(directory.FullName);
        var config = string.Join('\n',
            "per_listener_settings false",
            // Started as root, mosquitto 2.0 switches to user "mosquitto", which cannot write this 0700 directory: its
            // database would silently not be saved. Naming the current user keeps it (no effect when not root).
            $"user {Environment.UserName}",
            $"listener {port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1",
            $"allow_anonymous {(allowAnonymous ? "true" : "false")}",
            "persistence true",
            $"persistence_location {directory.FullName}/",
            "max_queued_messages 0",
            "max_queued_bytes 0",
            "max_inflight_messages 0",
            $"log_dest file {Path.Combine(directory.FullName, "mosquitto.log")}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            extra,
            string.Empty);
        await File.WriteAllTextAsync(configPath, config);

        var broker = new MosquittoBroker(directory, port, configPath);
        try
        {
            await broker.StartProcessAsync();
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    public static int FreePort() => Irrigation.Testing.FreePort.Next();

    public MqttClientOptions ClientOptions(string clientId, bool cleanSession = true) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        ClientId = clientId,
        CleanSession = cleanSession,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelay = TimeSpan.FromMilliseconds(100),
        MaxReconnectDelay = TimeSpan.FromSeconds(1),
    };

    /// <summary>SIGTERM, as a service manager stops it: mosquitto saves its database and closes every connection.</summary>
    public async Task StopAsync()
    {
        var process = _process ?? throw new InvalidOperationException("mosquitto is not running.");
        await using (var kill = PeerProcess.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync(StopTimeout);
        await process.WaitForExitAsync(StopTimeout);
        await process.DisposeAsync();
        _process = null;
    }

    /// <summary>Starts mosquitto again on the same port, configuration and persistence directory.</summary>
    public Task RestartAsync() => _process is null ? StartProcessAsync() : throw new InvalidOperationException("mosquitto is still running.");

    private async Task StartProcessAsync()
    {
        _process = PeerProcess.Start(DebianMqttPeers.Mosquitto, ["-c", _configPath]);
        var until = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"mosquitto exited at start.\nstderr:\n{_process.StandardError}\nlog:\n{Log}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(20);
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"mosquitto did not listen on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds:0} s.\nlog:\n{Log}", ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
            await _process.DisposeAsync();
        _process = null;
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a dying process: the temp directory is left for the OS to clean.
        }
    }
}
