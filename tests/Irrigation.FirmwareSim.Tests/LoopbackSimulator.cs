using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Irrigation.Devices;
using Irrigation.FirmwareSim.Control;
using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Stations;
using Irrigation.Modbus.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.FirmwareSim.Tests;

/// <summary>
/// A firmware simulator running in-process on loopback (OS-picked ports), with the profiles a gateway would
/// read it through and, on request, its HTTP control endpoint. Everything it hands out is disposed with it.
/// </summary>
internal sealed class LoopbackSimulator : IAsyncDisposable
{
    public const string MeterProfileId = "chint-dtsu666";
    public const string ControllerProfileId = "irrigation-pump-controller";

    /// <summary>Upper bound of any single wait; conditions normally hold within a second.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(8);

    public static readonly string ProfilesDirectory = Path.Combine(AppContext.BaseDirectory, "profiles");

    public static readonly IReadOnlyDictionary<string, DeviceProfile> Profiles = DeviceProfileLoader.LoadDirectory(ProfilesDirectory);

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));
    private readonly List<IAsyncDisposable> _owned = new();
    private WebApplication? _control;
    private HttpClient? _http;

    private LoopbackSimulator(SimulatorHost host) => Host = host;

    public SimulatorHost Host { get; }

    /// <summary>Client of the control endpoint; only when started with <c>controlApi: true</c>.</summary>
    public HttpClient Http => _http ?? throw new InvalidOperationException("Started without the control API.");

    /// <summary>Cancels after 30 s so a hung test fails instead of stalling the run.</summary>
    public CancellationToken Token => _timeout.Token;

    public SimulatedStation Station(int index = 0) => Host.Stations[index];

    public StationEndpoint EndpointOf(SimulatedStation station) => Host.Endpoints.Single(e => e.StationId == station.Id);

    /// <summary>Defaults for tests: one station with two pumps, OS-picked ports, a 50 ms physics tick.</summary>
    public static SimulatorOptions Options(int stations = 1, int pumps = 2) => new()
    {
        Stations = stations,
        PumpsPerStation = pumps,
        BasePort = 0,
        ProfilesDirectory = ProfilesDirectory,
        TickInterval = TimeSpan.FromMilliseconds(50),
    };

    public static async Task<LoopbackSimulator> StartAsync(SimulatorOptions? options = null, bool controlApi = false)
    {
        var host = await SimulatorHost.StartAsync(options ?? Options(), NullLoggerFactory.Instance);
        var sim = new LoopbackSimulator(host);
        if (controlApi)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            sim._control = builder.Build();
            sim._control.MapControlApi(host);
            await sim._control.StartAsync(sim.Token);
            sim._http = new HttpClient { BaseAddress = new Uri(sim._control.Urls.Single()) };
        }

        return sim;
    }

    /// <summary>A Modbus client to a station's listener, framed as the simulator is configured.</summary>
    public ModbusClient Connect(SimulatedStation station, ModbusClientOptions? options = null, string framing = "tcp")
    {
        var endpoint = EndpointOf(station).Endpoint ?? throw new InvalidOperationException($"{station.Id} has no listener (DTU mode).");
        var host = endpoint.Address.ToString();
        options ??= Patient();
        var client = framing == "rtu"
            ? ModbusClient.CreateRtuOverTcp(host, endpoint.Port, options)
            : ModbusClient.CreateTcp(host, endpoint.Port, options);
        _owned.Add(client);
        return client;
    }

    /// <summary>For reads that should succeed: room for a loaded two-core machine, and no retry to hide a lost answer.</summary>
    public static ModbusClientOptions Patient() => new() { RequestTimeout = TimeSpan.FromSeconds(3), Retries = 0 };

    /// <summary>Client options that fail fast: no retries and a short timeout.</summary>
    public static ModbusClientOptions FailFast(int timeoutMs = 300) => new() { RequestTimeout = TimeSpan.FromMilliseconds(timeoutMs), Retries = 0 };

    public static DeviceReader MeterReader(IReadOnlyDictionary<string, string>? choices = null) =>
        new(Profiles[MeterProfileId].Resolve(choices), 0);

    public static DeviceReader ControllerReader(SimulatedStation station) =>
        new(Profiles[ControllerProfileId].Resolve(), station.Model.Pumps.Count);

    public Task<Dictionary<string, double>> ReadMeterAsync(IModbusMaster client, SimulatedStation station, DeviceReader? reader = null) =>
        ReadAsync(reader ?? MeterReader(), client, station.MeterUnitId);

    public Task<Dictionary<string, double>> ReadControllerAsync(IModbusMaster client, SimulatedStation station) =>
        ReadAsync(ControllerReader(station), client, station.ControllerUnitId);

    public async Task<Dictionary<string, double>> ReadAsync(DeviceReader reader, IModbusMaster client, byte unitId)
    {
        var values = await reader.ReadAsync(client, unitId, Token);
        return values.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
    }

    /// <summary>Returns once the physics has stepped <paramref name="count"/> more times (so registers were refreshed).</summary>
    public Task WaitForTicksAsync(int count = 2)
    {
        var target = Host.Ticks + count;
        return UntilAsync(() => Task.FromResult(Host.Ticks >= target), $"{count} physics ticks");
    }

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds; fails with the last value at the deadline.</summary>
    public static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? deadline = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (Stopwatch.GetElapsedTime(started) > (deadline ?? Deadline))
                throw new TimeoutException($"Timed out waiting for {what}; last value: {Describe(value)}.");
            await Task.Delay(50);
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null) =>
        PollAsync(condition, ok => ok, what, deadline);

    /// <summary>Reads one ASCII line (through "\r\n") byte by byte, so nothing after it is consumed.</summary>
    public static async Task<string> ReadLineAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
                throw new EndOfStreamException($"Peer closed the connection after '{line}'.");
            line.Append((char)one[0]);
            if (line.Length > 256)
                throw new InvalidDataException($"No line end in '{line}'.");
        }

        return line.ToString();
    }

    private static string Describe<T>(T value) => value is IEnumerable<KeyValuePair<string, double>> pairs
        ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
        : value?.ToString() ?? "null";

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
            await owned.DisposeAsync();
        _http?.Dispose();
        if (_control is not null)
        {
            await _control.StopAsync(CancellationToken.None);
            await _control.DisposeAsync();
        }

        await Host.DisposeAsync();
        _timeout.Dispose();
    }
}
