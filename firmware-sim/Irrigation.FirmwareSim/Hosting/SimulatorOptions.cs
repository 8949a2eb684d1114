using System.Net;
using Irrigation.FirmwareSim.Stations;

namespace Irrigation.FirmwareSim.Hosting;

/// <summary>How stations are reached over Modbus.</summary>
public enum PortMode
{
    /// <summary>Station i listens on BasePort + i (meter unit 1, pump controller unit 2).</summary>
    PerStation,

    /// <summary>All stations on BasePort, station k (0-based) as units 2k+1 (meter) and 2k+2 (controller); at most 123.</summary>
    Shared,
}

/// <summary>Simulator settings, from the command line. Validated before anything starts.</summary>
public sealed class SimulatorOptions
{
    public const int MaxStations = 5000;
    public const int MaxSharedStations = 123;

    public int Stations { get; set; } = 3;

    /// <summary>Pumps per station, 1..4; 0 = 1..4 chosen per station from the seed.</summary>
    public int PumpsPerStation { get; set; } = 2;

    public string IdPrefix { get; set; } = "st";

    public string ProfilesDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "profiles");

    public string MeterProfile { get; set; } = "chint-dtsu666";

    /// <summary>Option choices for the meter profile, e.g. energyRegister=0x401E.</summary>
    public Dictionary<string, string> MeterOptions { get; } = new();

    public string ControllerProfile { get; set; } = "irrigation-pump-controller";

    public int Seed { get; set; } = 1;

    public string Host { get; set; } = "127.0.0.1";

    public PortMode PortMode { get; set; } = PortMode.PerStation;

    /// <summary>First port; 0 lets the OS pick a free port per listener (tests).</summary>
    public int BasePort { get; set; } = 5020;

    /// <summary>"tcp" (MBAP) or "rtu" (RTU frames over TCP) on the listeners.</summary>
    public string Framing { get; set; } = "tcp";

    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Port of the loopback HTTP control endpoint; 0 = pick one, -1 = none.</summary>
    public int ControlPort { get; set; } = 8099;

    /// <summary>DTU mode: each station connects out to this endpoint instead of listening.</summary>
    public string? DtuEndpoint { get; set; }

    public DtuSettings Dtu { get; } = new();

    /// <summary>Faults at start-up, by station id ("all" for every station).</summary>
    public Dictionary<string, StationFaults> Faults { get; } = new();

    public void Validate()
    {
        if (Stations is < 1 or > MaxStations)
            throw new ArgumentException($"--stations must be 1..{MaxStations}, was {Stations}.");
        if (PumpsPerStation is < 0 or > 4)
            throw new ArgumentException($"--pumps must be 0..4 (0 = mixed), was {PumpsPerStation}.");
        if (PortMode == PortMode.Shared && Stations > MaxSharedStations)
            throw new ArgumentException($"--port-mode shared serves at most {MaxSharedStations} stations (unit ids 1..247), asked for {Stations}.");
        if (BasePort is < 0 or > 65535 || (BasePort > 0 && PortMode == PortMode.PerStation && BasePort + Stations - 1 > 65535))
            throw new ArgumentException($"--base-port {BasePort} with {Stations} stations runs past port 65535.");
        if (Framing is not ("tcp" or "rtu"))
            throw new ArgumentException($"--framing must be tcp or rtu, was '{Framing}'.");
        if (TickInterval < TimeSpan.FromMilliseconds(10) || TickInterval > TimeSpan.FromSeconds(10))
            throw new ArgumentException($"--tick must be 10 ms..10 s, was {TickInterval}.");
        if (!IPAddress.TryParse(Host, out _))
            throw new ArgumentException($"--host must be an IP address, was '{Host}'.");
        if (DtuEndpoint is not null && !IPEndPoint.TryParse(DtuEndpoint, out _))
            throw new ArgumentException($"--dtu must be host:port, was '{DtuEndpoint}'.");
        if (string.IsNullOrWhiteSpace(IdPrefix) || IdPrefix.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
            throw new ArgumentException($"--id-prefix must be ASCII letters, digits or '-', was '{IdPrefix}'.");
        Dtu.Validate();
    }

    /// <summary>"st001" … with at least three digits.</summary>
    public string StationId(int index) => $"{IdPrefix}{(index + 1).ToString(new string('0', Math.Max(3, Stations.ToString().Length)))}";
}

/// <summary>What a simulated 4G DTU sends besides Modbus frames.</summary>
public sealed class DtuSettings
{
    /// <summary>Sent once on connect; {id} is the station id. Default "REG:{id}\r\n".</summary>
    public string Registration { get; set; } = "REG:{id}\r\n";

    /// <summary>Sent every <see cref="HeartbeatInterval"/>, between Modbus frames (never inside one). Default "HB\r\n".</summary>
    public string Heartbeat { get; set; } = "HB\r\n";

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    public void Validate()
    {
        if (!Registration.Contains("{id}", StringComparison.Ordinal))
            throw new ArgumentException("--dtu-registration must contain {id}.");
        if (HeartbeatInterval < TimeSpan.FromSeconds(1))
            throw new ArgumentException($"--dtu-heartbeat must be at least 1 s, was {HeartbeatInterval}.");
    }
}
