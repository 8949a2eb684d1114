using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Irrigation.Testing;

/// <summary>
/// A real single-node VictoriaMetrics (Debian <c>victoria-metrics</c>) on 127.0.0.1 for a test, with its storage in a
/// temp directory. It accepts InfluxDB line protocol on /write, /api/v2/write and /influx/write. It can be stopped
/// (SIGTERM) and started again on the same port and data, and is killed on dispose.
/// </summary>
public sealed class VictoriaMetricsServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binary;
    private readonly HttpClient _http;
    private ManagedProcess? _process;

    private VictoriaMetricsServer(string directory, int port, string binary)
    {
        Directory = directory;
        Port = port;
        _binary = binary;
        Url = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public Uri Url { get; }

    public string Directory { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Output so far; VictoriaMetrics logs each line protocol line it skips as unparsable at error level.</summary>
    public string Tail(int lines = 40) => _process?.Tail(lines) ?? "";

    public IReadOnlyCollection<string> Lines => _process?.Lines ?? [];

    public static async Task<VictoriaMetricsServer> StartAsync()
    {
        var binary = RequiredTool.Find("victoria-metrics", "victoria-metrics");
        var directory = Path.Combine(Path.GetTempPath(), "irrigation-vm-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var server = new VictoriaMetricsServer(directory, FreePort.Next(), binary);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts VictoriaMetrics (again) on the same port and storage; returns once /health answers 200.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
            return;
        if (_process is not null)
            await _process.DisposeAsync();
        _process = ManagedProcess.Start("victoria-metrics", _binary,
        [
            "-httpListenAddr", "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture),
            "-storageDataPath", Path.Combine(Directory, "data"),
            "-loggerLevel", "WARN",
        ], Path.Combine(Directory, "victoria-metrics.log"));
        await HttpReadiness.WaitAsync(_http, "health", HttpStatusCode.OK, StartTimeout, "victoria-metrics", () => _process);
    }

    /// <summary>Graceful stop (SIGTERM): VictoriaMetrics flushes its in-memory parts.</summary>
    public Task StopAsync() => _process?.StopAsync(TimeSpan.FromSeconds(15)) ?? Task.CompletedTask;

    /// <summary>
    /// Every series matching the <paramref name="selector"/> (a PromQL series selector such as
    /// <c>{__name__=~"pump_.*"}</c>), through /api/v1/export after /internal/force_flush so that just-written samples
    /// are visible. Each element has <c>metric</c> (labels), <c>values</c> and <c>timestamps</c> (ms).
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> ExportAsync(string selector)
    {
        using (var flush = await _http.GetAsync(new Uri("internal/force_flush", UriKind.Relative)))
            flush.EnsureSuccessStatusCode();
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("match[]", selector)]);
        using var response = await _http.PostAsync(new Uri("api/v1/export", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync();
        var series = new List<JsonElement>();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var document = JsonDocument.Parse(line);
            series.Add(document.RootElement.Clone());
        }

        return series;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_process is not null)
            await _process.DisposeAsync();
        TempDirectory.TryDelete(Directory);
    }
}
