using System.Net;
using Irrigation.Devices;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Server;
using Irrigation.FirmwareSim.Dlt645;
using Irrigation.FirmwareSim.Dtu;
using Irrigation.FirmwareSim.Physics;
using Irrigation.FirmwareSim.Stations;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Server;
using Microsoft.Extensions.Logging;

namespace Irrigation.FirmwareSim.Hosting;

/// <summary>Where a simulated station can be reached.</summary>
public sealed record StationEndpoint(string StationId, IPEndPoint? Endpoint, byte MeterUnitId, byte ControllerUnitId)
{
    /// <summary>A DL/T 645 meter's own listener (per-station mode); null for Modbus meters and in DTU mode.</summary>
    public IPEndPoint? MeterEndpoint { get; init; }

    /// <summary>A DL/T 645 meter's address; null for Modbus meters.</summary>
    public string? MeterAddress { get; init; }

    /// <summary>In DTU mode, the id a DL/T 645 meter's own DTU registers with.</summary>
    public string? MeterDtuId { get; init; }
}

/// <summary>
/// Runs N simulated stations: builds their physics and register images from the device profiles, serves them on
/// Modbus listeners (or connects them out as DTUs), and steps the physics on a fixed tick.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly SimulatorOptions _options;
    private readonly ILogger _logger;
    private readonly List<SimulatedStation> _stations = new();
    private readonly Dictionary<string, SimulatedStation> _byId = new(StringComparer.Ordinal);
    private readonly List<ModbusTcpServer> _servers = new();
    private readonly List<Dlt645MeterServer> _meterServers = new();
    private readonly Dictionary<string, ModbusTcpServer> _serverOf = new(StringComparer.Ordinal);
    private readonly List<StationEndpoint> _endpoints = new();
    private readonly List<DtuClient> _dtus = new();
    private readonly List<Task> _loops = new();
    private readonly CancellationTokenSource _stop = new();

    private SimulatorHost(SimulatorOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        LoggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("firmware-sim");
    }

    public ILoggerFactory LoggerFactory { get; }

    public ModbusCounters Counters { get; } = new();

    public Dlt645Counters Dlt645Counters { get; } = new();

    public IReadOnlyList<SimulatedStation> Stations => _stations;

    public IReadOnlyList<StationEndpoint> Endpoints => _endpoints;

    public long Ticks { get; private set; }

    public SimulatedStation? Find(string id) => _byId.GetValueOrDefault(id);

    public static async Task<SimulatorHost> StartAsync(SimulatorOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var host = new SimulatorHost(options, loggerFactory);
        try
        {
            host.Build();
            host.Start();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    private void Build()
    {
        var profiles = DeviceProfileLoader.LoadDirectory(_options.ProfilesDirectory);
        if (!profiles.TryGetValue(_options.MeterProfile, out var meterProfile))
            throw new ArgumentException($"--meter-profile '{_options.MeterProfile}' not found in {_options.ProfilesDirectory} (have: {string.Join(", ", profiles.Keys)}).");
        if (!profiles.TryGetValue(_options.ControllerProfile, out var controllerProfile) || controllerProfile.Pumps is null)
            throw new ArgumentException($"Pump controller profile '{_options.ControllerProfile}' not found in {_options.ProfilesDirectory}.");
        var meter = meterProfile.Resolve(_options.MeterOptions);
        if (meter.Protocol == DeviceProtocol.Dlt645 && _options.PortMode == PortMode.Shared && _options.DtuEndpoint is null)
            throw new ArgumentException($"--meter-profile '{meter.Id}' speaks DL/T 645, which has no Modbus unit on a shared port: use --port-mode per-station or --dtu.");
        if (meter.Protocol == DeviceProtocol.Dlt645 && _options.BasePort > 0 && _options.BasePort + (2 * _options.Stations) - 1 > 65535)
            throw new ArgumentException($"--base-port {_options.BasePort} with {_options.Stations} stations and their DL/T 645 meters (ports base+{_options.Stations}..) runs past port 65535.");
        var controller = controllerProfile.Resolve();
        var shapes = new Random(_options.Seed);
        double[] motorSizesKw = [7.5, 11, 15, 18.5, 22, 30];

        for (var i = 0; i < _options.Stations; i++)
        {
            var id = _options.StationId(i);
            var pumpCount = _options.PumpsPerStation > 0 ? _options.PumpsPerStation : shapes.Next(1, 5);
            var kw = motorSizesKw[shapes.Next(motorSizesKw.Length)];
            var pumps = Enumerable.Range(0, pumpCount).Select(_ => new PumpSpec(RatedKw: kw, RatedFlowM3PerHour: kw * 25)).ToList();
            var spec = new StationSpec(pumps, Seed: _options.Seed * 7919 + i)
            {
                InflowM3PerHour = kw * 25 * Math.Max(1, pumpCount - 1) * (0.6 + (shapes.NextDouble() * 0.5)),
                EnergyInitialKWh = Math.Round(shapes.NextDouble() * 50_000, 2),
                FlowTotaliserInitialM3 = Math.Round(shapes.NextDouble() * 500_000, 1),
            };
            var (meterUnit, controllerUnit) = _options.PortMode == PortMode.Shared
                ? ((byte)((2 * i) + 1), (byte)((2 * i) + 2))
                : (meterProfile.DefaultUnitId, controllerProfile.DefaultUnitId);
            var ctRatio = meterProfile.Quantities.Any(q => q.Name == "ct_ratio") ? 20 : 1;
            var station = new SimulatedStation(id, new StationModel(spec), meter, controller, meterUnit, controllerUnit, ctRatio);
            if (_options.Faults.TryGetValue(id, out var faults) || _options.Faults.TryGetValue("all", out faults))
                station.Faults = faults;
            _stations.Add(station);
            _byId[id] = station;
        }

        var unknown = _options.Faults.Keys.Where(k => k != "all" && !_byId.ContainsKey(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"--fault names unknown station(s): {string.Join(", ", unknown)}.");
    }

    private void Start()
    {
        var framer = _options.Framing == "rtu" ? (IModbusFramer)ModbusRtuFramer.Instance : ModbusTcpFramer.Instance;
        var address = IPAddress.Parse(_options.Host);
        var busLogger = LoggerFactory.CreateLogger<StationBus>();
        if (_options.DtuEndpoint is { } dtu)
        {
            var endpoint = IPEndPoint.Parse(dtu);
            var dtuLogger = LoggerFactory.CreateLogger<DtuClient>();
            foreach (var station in _stations)
            {
                var bus = new StationBus(busLogger);
                bus.Attach(station);
                var client = new DtuClient(station.Id, endpoint, DtuClient.Modbus(bus, Counters, dtuLogger), _options.Dtu, dtuLogger, () => station.Faults.Drop);
                _dtus.Add(client);
                _loops.Add(client.RunAsync(_stop.Token));
                string? meterDtu = null;
                if (station.Dlt645Meter is { } meter)
                {
                    // The meter's line (2400 baud, even parity) has a DTU of its own, registering as "{id}-meter".
                    meterDtu = $"{station.Id}-meter";
                    var handler = new StationDlt645Meter(station);
                    var meterClient = new DtuClient(meterDtu, endpoint, (stream, peer, ct) => Dlt645ServerSession.RunAsync(stream, handler, Dlt645Counters, dtuLogger, peer, Dlt645FrameFormatter.DefaultPreambleLength, ct), _options.Dtu, dtuLogger, () => station.Faults.Drop);
                    _dtus.Add(meterClient);
                    _loops.Add(meterClient.RunAsync(_stop.Token));
                }

                _endpoints.Add(new StationEndpoint(station.Id, null, station.MeterUnitId, station.ControllerUnitId) { MeterAddress = station.Dlt645Meter?.Address.ToString(), MeterDtuId = meterDtu });
            }
        }
        else if (_options.PortMode == PortMode.Shared)
        {
            var bus = new StationBus(busLogger);
            foreach (var station in _stations)
                bus.Attach(station);
            var server = Listen(new IPEndPoint(address, _options.BasePort), framer, bus);
            foreach (var station in _stations)
            {
                _serverOf[station.Id] = server;
                _endpoints.Add(new StationEndpoint(station.Id, server.LocalEndPoint, station.MeterUnitId, station.ControllerUnitId));
            }
        }
        else
        {
            for (var i = 0; i < _stations.Count; i++)
            {
                var station = _stations[i];
                var bus = new StationBus(busLogger);
                bus.Attach(station);
                var port = _options.BasePort == 0 ? 0 : _options.BasePort + i;
                var server = Listen(new IPEndPoint(address, port), framer, bus);
                server.RefuseConnections = station.Faults.Drop;
                _serverOf[station.Id] = server;
                station.DropRequested += s => server.DropConnections();
                IPEndPoint? meterEndpoint = null;
                if (station.Dlt645Meter is { } meter)
                {
                    // A serial server's second port in transparent mode: DL/T 645 frames straight through.
                    var meterPort = _options.BasePort == 0 ? 0 : _options.BasePort + _stations.Count + i;
                    var meterServer = new Dlt645MeterServer(new IPEndPoint(address, meterPort), new StationDlt645Meter(station), LoggerFactory.CreateLogger<Dlt645MeterServer>(), Dlt645Counters);
                    meterServer.Start();
                    _meterServers.Add(meterServer);
                    station.DropRequested += s => meterServer.DropConnections();
                    meterEndpoint = meterServer.LocalEndPoint;
                }

                _endpoints.Add(new StationEndpoint(station.Id, server.LocalEndPoint, station.MeterUnitId, station.ControllerUnitId) { MeterEndpoint = meterEndpoint, MeterAddress = station.Dlt645Meter?.Address.ToString() });
            }
        }

        _loops.Add(TickLoopAsync(_stop.Token));
        _logger.LogInformation("Simulating {Count} station(s), {Framing} framing, {Mode}.", _stations.Count, framer.Name, _options.DtuEndpoint is null ? _options.PortMode.ToString() : $"DTU -> {_options.DtuEndpoint}");
    }

    private ModbusTcpServer Listen(IPEndPoint endpoint, IModbusFramer framer, StationBus bus)
    {
        var server = new ModbusTcpServer(endpoint, framer, bus, LoggerFactory.CreateLogger<ModbusTcpServer>(), Counters);
        server.Start();
        _servers.Add(server);
        return server;
    }

    /// <summary>Applies communication faults to a station; per-station listeners refuse connections while dropped.</summary>
    public void SetFaults(SimulatedStation station, StationFaults faults)
    {
        ArgumentNullException.ThrowIfNull(station);
        station.SetFaults(faults);
        if (_options.PortMode == PortMode.PerStation && _serverOf.TryGetValue(station.Id, out var server))
            server.RefuseConnections = faults.Drop;
    }

    /// <summary>Steps every station's physics by the wall-clock time since the last tick.</summary>
    private async Task TickLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.TickInterval);
        var last = TimeProvider.System.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = TimeProvider.System.GetTimestamp();
                var dt = TimeProvider.System.GetElapsedTime(last, now);
                last = now;
                // A stalled process (debugger, overloaded machine) must not make physics jump: cap the step.
                if (dt > TimeSpan.FromSeconds(2))
                    dt = TimeSpan.FromSeconds(2);
                foreach (var station in _stations)
                    station.Tick(dt);
                Ticks++;
            }
        }
        catch (OperationCanceledException)
        {
            _logger.LogDebug("Tick loop stopped.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var server in _servers)
            await server.DisposeAsync();
        foreach (var server in _meterServers)
            await server.DisposeAsync();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
            _logger.LogDebug("Simulator loops cancelled.");
        }

        _stop.Dispose();
    }
}
