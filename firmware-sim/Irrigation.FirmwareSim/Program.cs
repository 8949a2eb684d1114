using System.CommandLine;
using System.Globalization;
using Irrigation.FirmwareSim.Control;
using Irrigation.FirmwareSim.Hosting;
using Irrigation.FirmwareSim.Stations;

// firmware-sim: simulated irrigation pump stations behind Modbus TCP, RTU over TCP, or outbound DTU links.

// ---- Command line ----------------------------------------------------------------------------------------
var stations = new Option<int>("--stations") { Description = "Number of simulated stations.", DefaultValueFactory = _ => 3 };
var pumps = new Option<int>("--pumps") { Description = "Pumps per station, 1..4; 0 = mixed (seeded).", DefaultValueFactory = _ => 2 };
var seed = new Option<int>("--seed") { Description = "Seed for physics noise and station shapes.", DefaultValueFactory = _ => 1 };
var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
var basePort = new Option<int>("--base-port") { Description = "First Modbus port (station i on base+i), or the shared port.", DefaultValueFactory = _ => 5020 };
var portMode = new Option<PortMode>("--port-mode") { Description = "PerStation: a port per station. Shared: one port, station k as units 2k+1 (meter) and 2k+2 (controller).", DefaultValueFactory = _ => PortMode.PerStation };
var framing = new Option<string>("--framing") { Description = "tcp (MBAP) or rtu (RTU frames over TCP).", DefaultValueFactory = _ => "tcp" };
var meterProfile = new Option<string>("--meter-profile") { Description = "Meter device profile id; a DL/T 645 profile (dlt645-2007-three-phase) gives each station a DL/T 645 meter on a port (or DTU) of its own.", DefaultValueFactory = _ => "chint-dtsu666" };
var meterOption = new Option<string[]>("--meter-option") { Description = "Meter profile option choice, NAME=CHOICE (repeatable), e.g. energyRegister=0x101E." };
var profiles = new Option<string?>("--profiles") { Description = "Directory of device profiles (default: profiles/ beside the program)." };
var tick = new Option<int>("--tick-ms") { Description = "Physics step in milliseconds.", DefaultValueFactory = _ => 200 };
var controlPort = new Option<int>("--control-port") { Description = "Loopback HTTP control endpoint port; -1 to disable.", DefaultValueFactory = _ => 8099 };
var dtu = new Option<string?>("--dtu") { Description = "DTU mode: every station connects out to HOST:PORT, registers, and answers RTU frames." };
var dtuHeartbeat = new Option<int>("--dtu-heartbeat-s") { Description = "DTU heartbeat interval in seconds.", DefaultValueFactory = _ => 30 };
var emitGateway = new Option<string?>("--emit-gateway-config") { Description = "Write a gateway configuration polling every simulated station to this path." };
var gatewayMqtt = new Option<string>("--gateway-mqtt") { Description = "Broker HOST:PORT written into --emit-gateway-config.", DefaultValueFactory = _ => "127.0.0.1:1883" };
var gatewayData = new Option<string>("--gateway-data") { Description = "Gateway data directory written into --emit-gateway-config.", DefaultValueFactory = _ => "data" };
var fault = new Option<string[]>("--fault") { Description = "STATION:FAULTS at start-up, e.g. st002:delay=800, st003:freeze+flip-word-order, all:exception=4." };

var root = new RootCommand("Simulated irrigation pump stations (energy meter + pump controller) over Modbus.")
{
    stations, pumps, seed, host, basePort, portMode, framing, meterProfile, meterOption, profiles, tick, controlPort, dtu, dtuHeartbeat, fault, emitGateway, gatewayMqtt, gatewayData,
};

root.SetAction(async (parse, cancellationToken) =>
{
    var options = new SimulatorOptions
    {
        Stations = parse.GetValue(stations),
        PumpsPerStation = parse.GetValue(pumps),
        Seed = parse.GetValue(seed),
        Host = parse.GetValue(host)!,
        BasePort = parse.GetValue(basePort),
        PortMode = parse.GetValue(portMode),
        Framing = parse.GetValue(framing)!,
        MeterProfile = parse.GetValue(meterProfile)!,
        TickInterval = TimeSpan.FromMilliseconds(parse.GetValue(tick)),
        ControlPort = parse.GetValue(controlPort),
        DtuEndpoint = parse.GetValue(dtu),
    };
    options.Dtu.HeartbeatInterval = TimeSpan.FromSeconds(parse.GetValue(dtuHeartbeat));
    if (parse.GetValue(profiles) is { } dir)
        options.ProfilesDirectory = dir;
    try
    {
        foreach (var pair in parse.GetValue(meterOption) ?? [])
        {
            var (name, choice) = pair.Split('=', 2) is [var n, var c] ? (n, c) : throw new FormatException($"--meter-option '{pair}' must be NAME=CHOICE.");
            options.MeterOptions[name] = choice;
        }

        foreach (var spec in parse.GetValue(fault) ?? [])
        {
            var (station, faults) = spec.Split(':', 2) is [var s, var f] ? (s, f) : throw new FormatException($"--fault '{spec}' must be STATION:FAULTS.");
            options.Faults[station] = StationFaults.Parse(faults);
        }

        options.Validate();
    }
    catch (Exception ex) when (ex is ArgumentException or FormatException)
    {
        await Console.Error.WriteLineAsync($"firmware-sim: {ex.Message}");
        return 2;
    }

    var emit = parse.GetValue(emitGateway) is { } emitPath ? new GatewayConfigRequest(emitPath, parse.GetValue(gatewayMqtt)!, parse.GetValue(gatewayData)!) : null;
    return await SimulatorApp.RunAsync(options, emit, cancellationToken);
});


return await root.Parse(args).InvokeAsync();

/// <summary>Where to write a gateway configuration for the simulated stations.</summary>
internal sealed record GatewayConfigRequest(string Path, string Mqtt, string DataDirectory);

/// <summary>Runs the simulator and its control endpoint until Ctrl-C.</summary>
internal static class SimulatorApp
{
    public static async Task<int> RunAsync(SimulatorOptions options, GatewayConfigRequest? emit, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.UseUrls(options.ControlPort >= 0 ? $"http://127.0.0.1:{options.ControlPort}" : "http://127.0.0.1:0");
        await using var app = builder.Build();

        SimulatorHost sim;
        try
        {
            sim = await SimulatorHost.StartAsync(options, app.Services.GetRequiredService<ILoggerFactory>());
        }
        catch (Exception ex) when (ex is ArgumentException or Irrigation.Devices.DeviceProfileException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"firmware-sim: {ex.Message}");
            return 2;
        }

        await using (sim)
        {
            if (options.ControlPort >= 0)
            {
                app.MapControlApi(sim);
                await app.StartAsync(cancellationToken);
            }

            if (emit is not null)
            {
                GatewayConfigWriter.Write(emit.Path, options, sim, emit.Mqtt, emit.DataDirectory);
                Console.WriteLine($"firmware-sim: wrote gateway configuration {Path.GetFullPath(emit.Path)}");
            }

            PrintEndpoints(options, sim, app);
            // Ctrl-C and SIGTERM arrive either through the command line's token or the web host's lifetime.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("firmware-sim: stopping.");
            }

            if (options.ControlPort >= 0)
                await app.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    private static void PrintEndpoints(SimulatorOptions options, SimulatorHost sim, WebApplication app)
    {
        var shown = sim.Endpoints.Take(5).Select(e => (e.Endpoint, e.MeterAddress) switch
        {
            (null, null) => $"  {e.StationId}: DTU -> {options.DtuEndpoint}, meter unit {e.MeterUnitId}, controller unit {e.ControllerUnitId}",
            (null, _) => $"  {e.StationId}: DTU -> {options.DtuEndpoint}, controller unit {e.ControllerUnitId}; DL/T 645 meter {e.MeterAddress} on DTU {e.MeterDtuId}",
            (_, null) => $"  {e.StationId}: {options.Framing}://{e.Endpoint} meter unit {e.MeterUnitId}, controller unit {e.ControllerUnitId}",
            _ => $"  {e.StationId}: {options.Framing}://{e.Endpoint} controller unit {e.ControllerUnitId}; DL/T 645 meter {e.MeterAddress} at dlt645://{e.MeterEndpoint}",
        });
        Console.WriteLine($"firmware-sim: {sim.Stations.Count} station(s) ready");
        foreach (var line in shown)
            Console.WriteLine(line);
        if (sim.Endpoints.Count > 5)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  … and {sim.Endpoints.Count - 5} more"));
        if (options.ControlPort >= 0)
            Console.WriteLine($"firmware-sim: control endpoint {string.Join(", ", app.Urls)}/stations");
    }
}
