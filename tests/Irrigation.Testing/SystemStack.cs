using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Irrigation.Testing;

/// <summary>Options of a <see cref="SystemStack"/>.</summary>
public sealed class SystemStackOptions
{
    public int Stations { get; set; } = 2;

    /// <summary>Extra server settings as environment variables (Irrigation__Commands__Lifetime=00:00:05, …).</summary>
    public Dictionary<string, string> ServerEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>Changes to the gateway configuration the simulator wrote, before the gateway starts.</summary>
    public Action<JsonObject>? ConfigureGateway { get; set; }

    /// <summary>More mosquitto configuration lines (later lines win: <c>autosave_interval 3600</c> for a broker that saves rarely).</summary>
    public string? BrokerConfig { get; set; }

    /// <summary>Told the broker once it runs, before the gateway starts (to point a relay standing in for the gateway's link at it).</summary>
    public Action<MosquittoBroker>? BrokerStarted { get; set; }

    /// <summary>The gateway connects here instead of to the broker: a <see cref="TcpRelay"/> standing in for its 4G link.</summary>
    public int? GatewayBrokerPort { get; set; }
}

/// <summary>
/// The whole system on loopback for one test, every part a real process: mosquitto (the project's no-loss
/// configuration), influxd, firmware-sim, irrigation-gateway and irrigation-server (which serves the API and the
/// web app). The server is started with the test users of <see cref="Users"/>. Everything is stopped on dispose.
/// </summary>
public sealed class SystemStack : IAsyncDisposable
{
    /// <summary>Test users: user name → (password, role). The server creates them at its first start.</summary>
    public static IReadOnlyDictionary<string, (string Password, string Role)> Users { get; } = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["admin"] = ("admin-Test-Pass-1", "admin"),
        ["operator"] = ("operator-Test-Pass-1", "operator"),
        ["maintenance"] = ("maintenance-Test-Pass-1", "maintenance"),
        ["viewer"] = ("viewer-Test-Pass-1", "viewer"),
    };

    /// <summary>The id of the command key the server signs with and the gateway holds.</summary>
    public const string CommandKeyId = "k1";

    private readonly Dictionary<string, string> _serverEnvironment = new(StringComparer.Ordinal);

    /// <summary>The stack's command key (base64 of 32 random bytes): what the server signs this gateway's commands with.</summary>
    public string CommandKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>The gateway's id (its configuration's "id").</summary>
    public string GatewayId { get; private set; } = "gw-01";
    private int _serverStarts;
    private int _gatewayStarts;

    private SystemStack(string directory)
    {
        Directory = directory;
        HttpPort = FreePort.Next();
        ServerUrl = new Uri($"http://127.0.0.1:{HttpPort}/");
        Database = "irrigation_" + Guid.NewGuid().ToString("N")[..8];
    }

    public string Directory { get; }

    public MosquittoBroker Broker { get; private set; } = null!;

    public InfluxdServer Influxd { get; private set; } = null!;

    public SimulatorProcess Simulator { get; private set; } = null!;

    public ManagedProcess? Gateway { get; private set; }

    public ManagedProcess? Server { get; private set; }

    public int HttpPort { get; }

    public Uri ServerUrl { get; }

    public string Database { get; }

    public string GatewayConfigPath => Simulator.GatewayConfig!;

    public string ServerDataDirectory => Path.Combine(Directory, "server-data");

    /// <summary>The server's settings (environment variables) as the next start gets them: for running its command line against the same data.</summary>
    public IReadOnlyDictionary<string, string> ServerSettings => _serverEnvironment;

    public static async Task<SystemStack> StartAsync(string name, SystemStackOptions? options = null)
    {
        options ??= new SystemStackOptions();
        var stack = new SystemStack(Path.Combine(Path.GetTempPath(), $"irrigation-{name}-{Guid.NewGuid():N}"[..40]));
        System.IO.Directory.CreateDirectory(stack.Directory);
        try
        {
            var broker = MosquittoBroker.StartAsync(options.BrokerConfig);
            var influxd = InfluxdServer.StartAsync();
            try
            {
                await Task.WhenAll(broker, influxd);
            }
            finally
            {
                stack.Broker = broker.IsCompletedSuccessfully ? broker.Result : null!;
                stack.Influxd = influxd.IsCompletedSuccessfully ? influxd.Result : null!;
            }

            options.BrokerStarted?.Invoke(stack.Broker);
            stack.Simulator = await SimulatorProcess.StartAsync(stack.Directory, options.Stations, options.GatewayBrokerPort ?? stack.Broker.Port);
            var config = JsonNode.Parse(await File.ReadAllTextAsync(stack.GatewayConfigPath))!.AsObject();
            config["commands"] = new JsonObject { ["feedbackTimeout"] = "00:00:03", ["minTimeBetweenStarts"] = "00:00:00" };
            config["publishing"] = new JsonObject { ["snapshotInterval"] = "00:00:05" };
            // Commands are signed, as run.sh and compose deploy them: one key shared by this gateway and the server.
            config["commands"]!["keys"] = new JsonArray(new JsonObject { ["id"] = CommandKeyId, ["secret"] = stack.CommandKey });
            stack.GatewayId = config["id"]?.GetValue<string>() ?? "gw-01";
            options.ConfigureGateway?.Invoke(config);
            await File.WriteAllTextAsync(stack.GatewayConfigPath, config.ToJsonString());
            await stack.StartGatewayAsync();

            var env = stack._serverEnvironment;
            env["Irrigation__Mqtt__Port"] = stack.Broker.Port.ToString(CultureInfo.InvariantCulture);
            env["Irrigation__Mqtt__ClientId"] = "irrigation-server-" + Guid.NewGuid().ToString("N")[..8];
            env["Irrigation__Influx__Url"] = stack.Influxd.Url.ToString();
            env["Irrigation__Influx__Database"] = stack.Database;
            env["Irrigation__DataDirectory"] = stack.ServerDataDirectory;
            env["Irrigation__StationFiles__0"] = stack.GatewayConfigPath;
            env["Irrigation__ProfilesDirectory"] = RepoPaths.Profiles;
            env["Irrigation__Auth__PasswordIterations"] = "10000"; // fast sign-in in tests; production default is higher
            env[$"Irrigation__Commands__GatewayKeys__{stack.GatewayId}__0__Id"] = CommandKeyId;
            env[$"Irrigation__Commands__GatewayKeys__{stack.GatewayId}__0__Secret"] = stack.CommandKey;
            var i = 0;
            foreach (var (user, (password, role)) in Users)
            {
                env[$"Irrigation__Auth__Users__{i}__Username"] = user;
                env[$"Irrigation__Auth__Users__{i}__Password"] = password;
                env[$"Irrigation__Auth__Users__{i}__Role"] = role;
                i++;
            }

            foreach (var (key, value) in options.ServerEnvironment)
                env[key] = value;
            await stack.StartServerAsync();
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    public async Task StartGatewayAsync()
    {
        if (Gateway is { HasExited: false })
            throw new InvalidOperationException("The gateway is already running.");
        if (Gateway is not null)
            await Gateway.DisposeAsync();
        _gatewayStarts++;
        Gateway = await GatewayProcess.StartAsync(GatewayConfigPath, Path.Combine(Directory, $"gateway-{_gatewayStarts}.log"));
    }

    /// <summary>SIGTERM: the gateway publishes "offline" for itself on the way out, and exits with 0.</summary>
    public async Task StopGatewayAsync()
    {
        if (Gateway is { HasExited: false } gateway)
        {
            await gateway.StopAsync(TimeSpan.FromSeconds(20));
            ExitedCleanly(gateway);
        }
    }

    /// <summary>A graceful stop that ends in a non-zero code (an exception on the way out, SIGABRT 134) fails the test.</summary>
    private static void ExitedCleanly(ManagedProcess process)
    {
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode} after SIGTERM. Output:\n{process.Tail()}");
    }

    /// <summary>kill -9: the gateway stops without a word; what it wrote (outbox, history) is on disk, its sequence file may be old.</summary>
    public async Task KillGatewayAsync()
    {
        if (Gateway is { HasExited: false } gateway)
        {
            gateway.KillHard();
            await gateway.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>The gateway's data directory (outbox, history, epoch, sequences), as the simulator configured it.</summary>
    public string GatewayDataDirectory => Path.Combine(Directory, "gateway-data");

    /// <summary>SIGSTOP: the gateway freezes as a hung process or a dead link would look; its broker session stays.</summary>
    public void SuspendGateway() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="SuspendGateway"/>.</summary>
    public void ResumeGateway() => Signal("CONT");

    private void Signal(string signal)
    {
        var gateway = Gateway ?? throw new InvalidOperationException("no gateway");
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, gateway.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Changes one server setting (an environment variable, <c>Irrigation__…</c>) for its next start; null removes it.</summary>
    public void SetServerSetting(string key, string? value)
    {
        if (value is null)
            _serverEnvironment.Remove(key);
        else
            _serverEnvironment[key] = value;
    }

    /// <summary>Starts (or restarts) the server; returns once it is ready.</summary>
    public async Task StartServerAsync()
    {
        if (Server is { HasExited: false })
            throw new InvalidOperationException("The server is already running.");
        if (Server is not null)
            await Server.DisposeAsync();
        _serverStarts++;
        Server = await ServerProcess.StartAsync(HttpPort, _serverEnvironment, Path.Combine(Directory, $"server-{_serverStarts}.log"), Directory);
    }

    /// <summary>
    /// Another server instance with this stack's settings but its own HTTP port, MQTT client id (its instance id) and data directory, for
    /// several instances on one shared database (give <c>Irrigation__Database__*</c> in the options). Returns once it is
    /// ready; the caller disposes it.
    /// </summary>
    public async Task<ManagedProcess> StartServerInstanceAsync(string clientId, int httpPort)
    {
        var environment = new Dictionary<string, string>(_serverEnvironment, StringComparer.Ordinal)
        {
            ["Irrigation__Mqtt__ClientId"] = clientId,
            ["Irrigation__DataDirectory"] = Path.Combine(Directory, $"server-data-{clientId}"),
        };
        return await ServerProcess.StartAsync(httpPort, environment, Path.Combine(Directory, $"server-{clientId}.log"), Directory);
    }

    public async Task StopServerAsync()
    {
        if (Server is { HasExited: false } server)
        {
            await server.StopAsync(TimeSpan.FromSeconds(20));
            ExitedCleanly(server);
        }
    }

    /// <summary>kill -9: the server stops without finishing anything it was doing (a crash, a power cut).</summary>
    public async Task KillServerAsync()
    {
        if (Server is { HasExited: false } server)
        {
            server.KillHard();
            await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>A new HTTP client (with its own cookie jar) for the server, not signed in.</summary>
    public HttpClient CreateClient(Uri? server = null) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = server ?? ServerUrl, Timeout = TimeSpan.FromSeconds(15) };

    /// <summary>Signs in with the cookie as the web app does and returns a client that sends the CSRF header (to another instance when given).</summary>
    public async Task<HttpClient> SignInAsync(string user, Uri? server = null)
    {
        var client = CreateClient(server);
        using var response = await client.PostAsJsonAsync("api/auth/login", new { username = user, password = Users[user].Password });
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"sign-in as {user}: {(int)response.StatusCode} {body}");
        var csrf = JsonNode.Parse(body)!["csrfToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Add("X-CSRF-Token", csrf);
        return client;
    }

    /// <summary>Waits until the server shows the station online with its pumps (a full snapshot has arrived).</summary>
    public async Task WaitForStationOnlineAsync(string station, TimeSpan timeout)
    {
        using var client = await SignInAsync("viewer");
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(new Uri($"api/stations/{station}", UriKind.Relative));
            last = await response.Content.ReadAsStringAsync();
            var node = response.IsSuccessStatusCode ? JsonNode.Parse(last) : null;
            if (node?["online"]?.GetValue<bool>() == true && node["pumps"]?.AsArray().Count > 0 && node["mainsPresent"] is not null)
                return;
            await Task.Delay(250);
        }

        throw new TimeoutException($"{station} not online after {timeout}: {last}\n{Server?.Tail()}");
    }

    /// <summary>Stops everything, each part even if another fails, so no process outlives the test.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Gateway is { HasExited: false })
            ResumeGateway(); // a suspended gateway would not hear SIGTERM
        foreach (var part in new IAsyncDisposable?[] { Server, Gateway, Simulator, Influxd, Broker })
        {
            try
            {
                if (part is not null)
                    await part.DisposeAsync();
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or TimeoutException)
            {
                // keep stopping the rest
            }
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
