using System.Net;

namespace Irrigation.Testing;

/// <summary>
/// A real influxd 1.x (Debian <c>influxdb</c>) on 127.0.0.1 for a test: its own config file binding the HTTP API and
/// the RPC (backup) port to free loopback ports, meta/data/wal in a temp directory, usage reporting and the access log
/// off. It can be stopped (SIGTERM) and started again on the same port and data, and is killed on dispose.
/// </summary>
public sealed class InfluxdServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binary;
    private readonly HttpClient _http;
    private ManagedProcess? _process;

    private InfluxdServer(string directory, int port, int rpcPort, string binary)
    {
        Directory = directory;
        Port = port;
        RpcPort = rpcPort;
        _binary = binary;
        Url = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The HTTP API port (/ping, /query, /write).</summary>
    public int Port { get; }

    /// <summary>The RPC (backup/restore) port, bound to loopback too so parallel instances do not clash on 8088.</summary>
    public int RpcPort { get; }

    public Uri Url { get; }

    public string Directory { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The running process id (0 when stopped), for CPU and memory figures.</summary>
    public int ProcessId => _process is { HasExited: false } p ? p.Id : 0;

    /// <summary>Output so far (influxd logs at warn level), for failure messages.</summary>
    public string Tail() => _process?.Tail() ?? "";

    /// <summary>
    /// Starts influxd. <paramref name="extraHttpConfig"/> is added to the <c>[http]</c> section (for example
    /// <c>max-body-size = 1000</c>).
    /// </summary>
    public static async Task<InfluxdServer> StartAsync(string? extraHttpConfig = null)
    {
        // FreePort checks each port before handing it out, but another test process can still bind it first; then
        // influxd exits at once saying so, and a second pair of ports is tried.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnFreePortsAsync(extraHttpConfig);
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private static async Task<InfluxdServer> StartOnFreePortsAsync(string? extraHttpConfig)
    {
        var binary = RequiredTool.Find("influxd", "influxdb");
        var directory = Path.Combine(Path.GetTempPath(), "irrigation-influxd-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var server = new InfluxdServer(directory, FreePort.Next(), FreePort.Next(), binary);
        File.WriteAllText(Path.Combine(directory, "influxdb.conf"), $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{server.RpcPort}"

            [meta]
              dir = "{directory}/meta"
              logging-enabled = false

            [data]
              dir = "{directory}/data"
              wal-dir = "{directory}/wal"
              query-log-enabled = false

            [monitor]
              store-enabled = false

            [http]
              enabled = true
              bind-address = "127.0.0.1:{server.Port}"
              log-enabled = false
              {extraHttpConfig ?? ""}

            [ifql]
              enabled = false

            [logging]
              level = "warn"
              suppress-logo = true
            """);
        try
        {
            await server.RestartAsync();
        }
        catch
        {
            await server.DisposeAsync(); // never leave a half-started influxd behind a failed test
            throw;
        }

        return server;
    }

    /// <summary>Starts influxd (again) on the same ports and data directory; returns once /ping answers 204.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
            return;
        if (_process is not null)
            await _process.DisposeAsync();
        _process = ManagedProcess.Start("influxd", _binary, ["-config", Path.Combine(Directory, "influxdb.conf")], Path.Combine(Directory, "influxd.log"));
        await WaitUntilReadyAsync("ping", HttpStatusCode.NoContent, StartTimeout);
    }

    /// <summary>kill -9: no shutdown code runs (what a crash or a lost machine looks like to its clients).</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process)
            return;
        process.KillHard();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Graceful stop (SIGTERM), as on a service restart.</summary>
    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(15)) ?? Task.CompletedTask;

    /// <summary>Runs one InfluxQL statement that changes something (POST /query), failing on any error.</summary>
    public async Task<string> ExecuteAsync(string statement, string? database = null)
    {
        var form = new Dictionary<string, string> { ["q"] = statement };
        if (database is not null)
            form["db"] = database;
        using var content = new FormUrlEncodedContent(form);
        using var response = await _http.PostAsync(new Uri("query", UriKind.Relative), content);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || body.Contains("\"error\"", StringComparison.Ordinal))
            throw new InvalidOperationException($"influxd: '{statement}' failed: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>
    /// Fills the roll-up retention policies of <paramref name="database"/> now instead of at the next interval boundary
    /// (an hour for rollup_1h): runs each continuous query's own SELECT ... INTO over the last two hours, as InfluxDB's
    /// docs describe for backfilling a continuous query. The statements are read from SHOW CONTINUOUS QUERIES, so they
    /// are the server's. Returns how many ran.
    /// </summary>
    public async Task<int> BackfillRollupsAsync(string database)
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse(await ExecuteAsync("SHOW CONTINUOUS QUERIES"))!;
        var statements = new List<string>();
        foreach (var series in body["results"]?[0]?["series"]?.AsArray() ?? [])
        {
            if ((string?)series!["name"] != database)
                continue;
            foreach (var row in series["values"]?.AsArray() ?? [])
            {
                var create = (string)row![1]!;
                var begin = create.IndexOf(" BEGIN ", StringComparison.Ordinal) + " BEGIN ".Length;
                var select = create[begin..create.LastIndexOf(" END", StringComparison.Ordinal)];
                var groupBy = select.LastIndexOf(" GROUP BY ", StringComparison.Ordinal);
                statements.Add($"{select[..groupBy]} WHERE time > now() - 2h{select[groupBy..]}");
            }
        }

        foreach (var statement in statements)
            await ExecuteAsync(statement, database);
        return statements.Count;
    }

    /// <summary>Creates a database with a fresh unique name and returns the name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..8];
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return name;
    }

    private Task WaitUntilReadyAsync(string path, HttpStatusCode expected, TimeSpan timeout) =>
        HttpReadiness.WaitAsync(_http, path, expected, timeout, "influxd", () => _process);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_process is not null)
            await _process.DisposeAsync();
        TempDirectory.TryDelete(Directory);
    }
}
