using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Influx.Query;
using Irrigation.Testing;

namespace Irrigation.Server.Tests.TestSupport;

/// <summary>
/// Real processes on loopback for one test: mosquitto (no-loss configuration), influxd (one, or one per time-series
/// replica), and the irrigation-server program configured through its environment variables. The server can be stopped, killed with -9 and started
/// again with the same MQTT client id and data directory. Everything is killed on dispose, also after a failure.
/// </summary>
internal sealed class IngestionStack : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly ScratchDirectory _scratch;
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private MosquittoBroker? _broker;
    private readonly List<InfluxdServer> _influxds = [];
    private readonly List<InfluxQueryClient> _queries = [];
    private ManagedProcess? _server;
    private int _serverStarts;

    private IngestionStack(string name)
    {
        _scratch = new ScratchDirectory(name);
        Database = "irrigation_" + Guid.NewGuid().ToString("N")[..8];
        HttpPort = FreePort.Next();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public MosquittoBroker Broker => _broker ?? throw new InvalidOperationException("not started");

    public InfluxdServer Influxd => InfluxdOf(0);

    /// <summary>The influxd of replica <paramref name="index"/> (named "r0", "r1"… when there are several).</summary>
    public InfluxdServer InfluxdOf(int index) => index < _influxds.Count ? _influxds[index] : throw new InvalidOperationException("not started");

    /// <summary>A query client straight to replica <paramref name="index"/>'s influxd, bypassing the server.</summary>
    public InfluxQueryClient QueryOf(int index) => index < _queries.Count ? _queries[index] : throw new InvalidOperationException("not started");

    public int Replicas => _influxds.Count;

    public ManagedProcess Server => _server ?? throw new InvalidOperationException("server not started");

    public InfluxQueryClient Query => QueryOf(0);

    public string Database { get; }

    public int HttpPort { get; }

    /// <summary>The server's HTTP API (/metrics, /health/*, /api/*).</summary>
    public HttpClient Http { get; }

    public string Directory => _scratch.Path;

    public string DataDirectory => _scratch.File("server-data");

    /// <summary>
    /// Starts mosquitto and influxd (<paramref name="replicas"/> of them, configured as <c>Irrigation:Influx:Replicas</c>
    /// "r0", "r1"… when more than one), writes <paramref name="stationFileJson"/> (if any) as the station list, and
    /// starts the server.
    /// </summary>
    public static async Task<IngestionStack> StartAsync(string name, string? stationFileJson = null, IReadOnlyDictionary<string, string>? settings = null, int replicas = 1)
    {
        var stack = new IngestionStack(name);
        try
        {
            var broker = MosquittoBroker.StartAsync();
            var influxds = Enumerable.Range(0, replicas).Select(_ => InfluxdServer.StartAsync()).ToList();
            try
            {
                await Task.WhenAll([broker, .. influxds]);
            }
            finally
            {
                stack._broker = broker.IsCompletedSuccessfully ? broker.Result : null;
                stack._influxds.AddRange(influxds.Where(i => i.IsCompletedSuccessfully).Select(i => i.Result));
            }

            foreach (var influxd in stack._influxds)
                stack._queries.Add(new InfluxQueryClient(new InfluxQueryOptions { Url = influxd.Url, Database = stack.Database, Timeout = TimeSpan.FromSeconds(10) }));
            stack._environment["Irrigation__Mqtt__Port"] = stack.Broker.Port.ToString(CultureInfo.InvariantCulture);
            stack._environment["Irrigation__Mqtt__ClientId"] = "irrigation-server-test-" + Guid.NewGuid().ToString("N")[..8];
            stack._environment["Irrigation__Influx__Url"] = stack.Influxd.Url.ToString();
            for (var i = 0; replicas > 1 && i < replicas; i++)
            {
                stack._environment[$"Irrigation__Influx__Replicas__{i}__Name"] = $"r{i}";
                stack._environment[$"Irrigation__Influx__Replicas__{i}__Url"] = stack.InfluxdOf(i).Url.ToString();
            }

            stack._environment["Irrigation__Influx__Database"] = stack.Database;
            stack._environment["Irrigation__DataDirectory"] = stack.DataDirectory;
            stack._environment["Irrigation__Auth__PasswordIterations"] = "10000";
            stack._environment["Irrigation__Auth__Users__0__Username"] = ApiUser;
            stack._environment["Irrigation__Auth__Users__0__Password"] = ApiPassword;
            stack._environment["Irrigation__Auth__Users__0__Role"] = "viewer";
            if (stationFileJson is not null)
            {
                var file = stack._scratch.File("gateway.json");
                await File.WriteAllTextAsync(file, stationFileJson);
                stack._environment["Irrigation__StationFiles__0"] = file;
            }

            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
                stack._environment[key] = value;

            await stack.StartServerAsync();
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again): same client id, data directory and port. Returns once it subscribed and the schema exists.</summary>
    public async Task StartServerAsync()
    {
        if (_server is { HasExited: false })
            throw new InvalidOperationException("The server is already running.");
        if (_server is not null)
            await _server.DisposeAsync();
        _serverStarts++;
        _server = await StartSubscribedAsync("irrigation-server", HttpPort, _environment, $"server-{_serverStarts}.log");
        var ready = await Poll.UntilAsync(ReadyAsync, r => r.Status == HttpStatusCode.OK && r.Body["schema"]?.GetValue<bool>() == true, StartTimeout);
        Assert.True(ready.Status == HttpStatusCode.OK, $"server not ready: {ready.Body}\n{_server.Tail()}");
        if (Http.DefaultRequestHeaders.Authorization is null)
        {
            // The API needs a signed-in user: a bearer token of the configured viewer (it outlives server restarts).
            using var response = await Http.PostAsync(new Uri("api/auth/tokens", UriKind.Relative),
                new StringContent($$"""{"username":"{{ApiUser}}","password":"{{ApiPassword}}","name":"tests"}""", Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"token: {(int)response.StatusCode} {body}");
            Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["token"]!.GetValue<string>());
        }
    }

    /// <summary>
    /// A second server instance on the same broker and database: its own client id, data directory and HTTP port,
    /// the same settings otherwise. Returns once it subscribed; the caller disposes it.
    /// </summary>
    public async Task<(ManagedProcess Process, Uri Url)> StartAnotherServerAsync()
    {
        var port = FreePort.Next();
        var environment = new Dictionary<string, string>(_environment, StringComparer.Ordinal)
        {
            ["Irrigation__Mqtt__ClientId"] = "irrigation-server-test-" + Guid.NewGuid().ToString("N")[..8],
            ["Irrigation__DataDirectory"] = _scratch.File("server-data-other"),
        };
        return (await StartSubscribedAsync("irrigation-server-2", port, environment, "server-other.log"), new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>Starts an irrigation-server process and returns once it subscribed to telemetry; stops it if it does not.</summary>
    private async Task<ManagedProcess> StartSubscribedAsync(string name, int port, IDictionary<string, string> environment, string log)
    {
        var process = ManagedProcess.Start(name, RepoPaths.Server, ["--urls", $"http://127.0.0.1:{port}"], _scratch.File(log), environment, _scratch.Path);
        try
        {
            await process.WaitForLineAsync(l => l.Contains("Ingesting ", StringComparison.Ordinal), StartTimeout);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return process;
    }

    private const string ApiUser = "ingest-viewer";
    private const string ApiPassword = "ingest-viewer-pass-1";

    /// <summary>kill -9: no shutdown code runs; unacknowledged messages stay with the broker, the spool stays on disk.</summary>
    public async Task KillServerAsync()
    {
        Server.KillHard();
        await Server.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGTERM and wait; returns the exit code.</summary>
    public async Task<int> StopServerAsync()
    {
        await Server.StopAsync(TimeSpan.FromSeconds(20));
        return Server.ExitCode;
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> ReadyAsync()
    {
        using var response = await Http.GetAsync(new Uri("health/ready", UriKind.Relative));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return (response.StatusCode, body);
    }

    /// <summary>
    /// The server's /metrics, each sample by its name with labels (<c>irrigation_ingest_dropped_total{reason="bad_value"}</c>),
    /// a sample without labels by its bare name (the exporter writes <c>name{} 0</c>).
    /// </summary>
    public async Task<Dictionary<string, double>> MetricsAsync() => PrometheusText.Parse(await Http.GetStringAsync(new Uri("metrics", UriKind.Relative)));

    /// <summary>Messages stored per station: count(seq) of the station measurement, grouped by station.</summary>
    public Task<SortedDictionary<string, long>> CountsPerStationAsync() => CountsPerStationAsync(0);

    /// <summary>Messages stored per station on replica <paramref name="replica"/>'s influxd.</summary>
    public async Task<SortedDictionary<string, long>> CountsPerStationAsync(int replica)
    {
        var result = await QueryOf(replica).QueryAsync("SELECT count(\"seq\") FROM \"station\" GROUP BY \"station\"");
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var series in result.Series)
            counts[series.Tags["station"]] = series.Value(0, "count").GetInt64();
        return counts;
    }

    /// <summary>The time and value of one selector (first/last/max...) over the station measurement, optionally for one station.</summary>
    public async Task<(long TimeMs, long Value)> SelectAsync(string selector, string? station = null)
    {
        var where = station is null ? "" : " WHERE \"station\" = $station";
        var parameters = station is null ? null : new Dictionary<string, object?> { ["station"] = station };
        var result = await Query.QueryAsync($"SELECT {selector}(\"seq\") FROM \"station\"{where}", parameters);
        var series = result.Series.Single();
        return (series.Value(0, "time").GetInt64(), series.Values[0][1].GetInt64());
    }

    /// <summary>Waits until the stored counts equal the generator's per-station counts; returns the last counts.</summary>
    public Task<SortedDictionary<string, long>> WaitForCountsAsync(LoadSummary summary, TimeSpan timeout, int replica = 0) =>
        Poll.UntilAsync(() => CountsPerStationAsync(replica), counts => CountDifferences(summary, counts).Length == 0, timeout, TimeSpan.FromSeconds(1));

    /// <summary>"" when every station has exactly the published count, else a list of the differences.</summary>
    public static string CountDifferences(LoadSummary summary, IReadOnlyDictionary<string, long> counts)
    {
        var text = new StringBuilder();
        foreach (var (station, published) in summary.PerStation.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var stored = counts.GetValueOrDefault(station);
            if (stored != published)
                text.Append(CultureInfo.InvariantCulture, $"{station}: published {published}, stored {stored}; ");
        }

        foreach (var station in counts.Keys.Where(s => !summary.PerStation.ContainsKey(s)))
            text.Append(CultureInfo.InvariantCulture, $"{station}: never published, stored {counts[station]}; ");
        return text.ToString();
    }

    /// <summary>The server's recent output and metrics, for failure messages.</summary>
    public async Task<string> DiagnosticsAsync()
    {
        string metrics;
        try
        {
            metrics = string.Join('\n', (await MetricsAsync()).Where(kv => kv.Key.StartsWith("irrigation_ingest", StringComparison.Ordinal) && !kv.Key.Contains("latency", StringComparison.Ordinal) || kv.Key.StartsWith("irrigation_spool", StringComparison.Ordinal) || kv.Key.StartsWith("irrigation_timeseries", StringComparison.Ordinal)).Select(kv => $"{kv.Key} {kv.Value}"));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            metrics = $"(no metrics: {ex.Message})";
        }

        return $"--- metrics ---\n{metrics}\n--- server output ---\n{_server?.Tail(60)}";
    }

    /// <summary>Publishes one message with the real mosquitto_pub (QoS 1), from text or from the bytes of a file.</summary>
    public async Task PublishAsync(string topic, string? message = null, byte[]? bytes = null, bool retain = false)
    {
        var arguments = new List<string> { "-h", "127.0.0.1", "-p", Broker.Port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", topic };
        if (retain)
            arguments.Add("-r");
        if (bytes is not null)
        {
            var file = _scratch.File($"payload-{Guid.NewGuid():N}.bin");
            await File.WriteAllBytesAsync(file, bytes);
            arguments.AddRange(["-f", file]);
        }
        else
        {
            arguments.AddRange(["-m", message ?? ""]);
        }

        await using var publish = ManagedProcess.Start("mosquitto_pub", RequiredTool.Find("mosquitto_pub", "mosquitto-clients"), arguments);
        await publish.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(publish.ExitCode == 0, $"mosquitto_pub exited with {publish.ExitCode}: {publish.Output}");
    }

    public LoadRun StartLoad(int stations, double rate, double seconds) => LoadRun.Start(Broker.Port, stations, rate, seconds, _scratch.Path);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        if (_broker is not null)
            await _broker.DisposeAsync();
        foreach (var influxd in _influxds)
            await influxd.DisposeAsync();
        foreach (var query in _queries)
            query.Dispose();
        Http.Dispose();
        _scratch.Dispose();
    }
}
