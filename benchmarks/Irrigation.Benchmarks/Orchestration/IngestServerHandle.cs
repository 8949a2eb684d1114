using System.Globalization;
using System.Text.Json;
using Irrigation.Testing;

namespace Irrigation.Benchmarks.Orchestration;

/// <summary>The irrigation-server under benchmark: started (again) with the same settings, its /metrics, and influxd counts.</summary>
internal sealed class IngestServerHandle : IAsyncDisposable
{
    public const string Database = "irrigation_bench";

    private readonly Dictionary<string, string> _environment;
    private readonly int _httpPort = FreePort.Next();
    private readonly string _directory;
    private readonly HttpClient _http;
    private readonly HttpClient _influx;
    private int _starts;

    public IngestServerHandle(string directory, MosquittoBroker broker, InfluxdServer influxd)
    {
        _directory = directory;
        _environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Irrigation__Mqtt__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture),
            ["Irrigation__Mqtt__ClientId"] = "irrigation-bench-server",
            ["Irrigation__Influx__Url"] = influxd.Url.ToString().TrimEnd('/'),
            ["Irrigation__Influx__Database"] = Database,
            ["Irrigation__DataDirectory"] = Path.Combine(directory, "server-data"),
        };
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpPort}/"), Timeout = TimeSpan.FromSeconds(5) };
        _influx = new HttpClient { BaseAddress = influxd.Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ManagedProcess? Process { get; private set; }

    public int Pid => Process?.Id ?? 0;

    /// <summary>Starts the server; returns once it is ready and its database exists.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _starts++;
        Process = await ServerProcess.StartAsync(_httpPort, _environment, Path.Combine(_directory, $"server-{_starts}.log"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(await _influx.GetStringAsync(new Uri("query?q=SHOW+DATABASES", UriKind.Relative), cancellationToken)).Contains($"\"{Database}\"", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the server did not create database {Database} within 30 s:\n{Process.Tail()}");
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>SIGTERM, as a service manager stops it.</summary>
    public async Task StopAsync()
    {
        if (Process is null)
            return;
        await Process.StopAsync(TimeSpan.FromSeconds(60));
        await Process.DisposeAsync();
        Process = null;
    }

    /// <summary>irrigation_ingest_stored_total (0 when /metrics does not answer).</summary>
    public async Task<long> StoredAsync(CancellationToken cancellationToken)
    {
        try
        {
            var metrics = PrometheusText.Parse(await _http.GetStringAsync(new Uri("metrics", UriKind.Relative), cancellationToken));
            if (metrics.TryGetValue("irrigation_ingest_stored_total", out var stored))
                return (long)stored;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // not answering (starting, stopping): nothing stored yet as far as the benchmark can tell
        }

        return 0;
    }

    /// <summary>
    /// Waits until the server stored <paramref name="total"/> messages, or made no progress for 30 s, or
    /// <paramref name="limit"/> passed; returns what it stored.
    /// </summary>
    public async Task<long> WaitStoredAsync(long total, TimeSpan limit, Action<string> log, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + limit;
        long last = -1;
        var still = DateTime.UtcNow;
        while (true)
        {
            var stored = await StoredAsync(cancellationToken);
            if (stored >= total)
                return stored;
            if (stored != last)
            {
                last = stored;
                still = DateTime.UtcNow;
            }

            if (DateTime.UtcNow - still > TimeSpan.FromSeconds(30) || DateTime.UtcNow > deadline)
            {
                log($"server stored {stored} of {total} messages; giving up waiting");
                return stored;
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>Messages of stations whose id starts with <paramref name="prefix"/>, counted by influxd.</summary>
    public async Task<long> CountAsync(string prefix, CancellationToken cancellationToken)
    {
        var query = Uri.EscapeDataString($"SELECT count(seq) FROM station WHERE station =~ /^{prefix}/");
        using var document = JsonDocument.Parse(await _influx.GetStringAsync(new Uri($"query?db={Database}&q={query}", UriKind.Relative), cancellationToken));
        var series = document.RootElement.GetProperty("results")[0];
        return series.TryGetProperty("series", out var s) ? s[0].GetProperty("values")[0][1].GetInt64() : 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
            await Process.DisposeAsync();
        _http.Dispose();
        _influx.Dispose();
    }
}
