namespace Irrigation.Gateway.Configuration;

/// <summary>The gateway's configuration file (docs/gateway.md), bound from JSON and validated at start-up.</summary>
public sealed class GatewayOptions
{
    /// <summary>This gateway's id; part of its client id and Last Will topic.</summary>
    public string Id { get; set; } = "gw-01";

    /// <summary>First level of every topic: {TopicRoot}/{station}/telemetry.</summary>
    public string TopicRoot { get; set; } = "irrigation";

    /// <summary>Directory of device profiles; relative paths are relative to the program's directory.</summary>
    public string ProfilesDirectory { get; set; } = "profiles";

    /// <summary>Where the store-and-forward queue and command journal live.</summary>
    public string DataDirectory { get; set; } = "data";

    public MqttSettings Mqtt { get; set; } = new();

    public BufferSettings Buffer { get; set; } = new();

    public HistorySettings History { get; set; } = new();

    public PublishingSettings Publishing { get; set; } = new();

    public CommandSettings Commands { get; set; } = new();

    /// <summary>How the gateway runs irrigation plans itself (docs/plans.md).</summary>
    public ScheduleSettings Schedule { get; set; } = new();

    /// <summary>Listener where 4G DTUs connect in; null when no station uses a DTU.</summary>
    public DtuListenerSettings? DtuListener { get; set; }

    /// <summary>How often the gateway logs its counters.</summary>
    public TimeSpan StatsInterval { get; set; } = TimeSpan.FromSeconds(60);

    public List<StationSettings> Stations { get; set; } = new();
}

public sealed class MqttSettings
{
    public const string DefaultHost = "127.0.0.1";
    public const int DefaultPort = 1883;

    /// <summary>The broker, when <see cref="Brokers"/> is not given.</summary>
    public string Host { get; set; } = DefaultHost;

    public int Port { get; set; } = DefaultPort;

    /// <summary>
    /// The nodes of a broker cluster, "host:port" each, in order of preference (instead of host and port): the gateway
    /// connects to the first that answers and moves to the next when a connection is lost (docs/mqtt-client.md).
    /// </summary>
    public List<string> Brokers { get; set; } = [];

    /// <summary>Default "irrigation-gateway-{Id}".</summary>
    public string? ClientId { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// "5" (the default: commands carry a broker-side expiry, the session its own expiry) or "3.1.1" for brokers that
    /// speak nothing else (the NATS cluster, docs/scale-out.md); the gateway's own check of a command's expiresAt guards either way.
    /// </summary>
    public string Protocol { get; set; } = "5";

    /// <summary>MQTT 5 only (3.1.1 has no session expiry: the broker keeps the session until a clean connect): how long the broker keeps this gateway's session (its command subscription and queued commands) while it is away.</summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(14);

    /// <summary>PEM CA file; when set the connection uses TLS.</summary>
    public string? TlsCaFile { get; set; }

    /// <summary>PEM client certificate and key for mutual TLS (with <see cref="TlsCaFile"/>).</summary>
    public string? TlsCertFile { get; set; }

    public string? TlsKeyFile { get; set; }

    /// <summary>QoS 1 publishes outstanding at once while draining the queue.</summary>
    public int MaxInflight { get; set; } = 200;
}

public sealed class BufferSettings
{
    /// <summary>Disk budget of the store-and-forward queue; beyond it the oldest data is dropped (counted, logged).</summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    public int SegmentBytes { get; set; } = 4 * 1024 * 1024;
}

/// <summary>
/// The history of published telemetry, kept after the broker acknowledged it, so the server can ask for what it never
/// stored (gap repair, docs/mqtt.md). Bounded by age and by bytes, whichever comes first.
/// </summary>
public sealed class HistorySettings
{
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    public int SegmentBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>At most this many messages are published again for one repair request; the server asks again for the rest.</summary>
    public int MaxRepairMessages { get; set; } = 20_000;
}

public sealed class PublishingSettings
{
    /// <summary>A full snapshot of every quantity is published at this interval; changes in between.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed class CommandSettings
{
    /// <summary>How long the run feedback has to follow a start or stop.</summary>
    public TimeSpan FeedbackTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Minimum time between two starts of the same pump (cage motors: ~5 min between cold starts).</summary>
    public TimeSpan MinTimeBetweenStarts { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Sump level (m) at or below which a start is refused to prevent dry running.</summary>
    public double DryRunLevel { get; set; } = 0.8;

    /// <summary>A start is confirmed only when the motor current is at least this (A), where the profile has a current.</summary>
    public double MinRunningCurrent { get; set; } = 1.0;

    /// <summary>
    /// Starts on stations sharing a <see cref="StationSettings.SupplyLine"/> are kept at least this far apart, whoever
    /// asks (an operator, a plan, another plan): motors starting together on one feeder add their inrush currents. A
    /// start waits for its turn (its result says how long); one whose turn would come after it expires is not made.
    /// </summary>
    public TimeSpan SupplyLineStartGap { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Command results kept for answering repeated ids.</summary>
    public int JournalSize { get; set; } = 10_000;

    /// <summary>
    /// Keys the server signs this gateway's commands with (HMAC-SHA256, docs/security.md). With any key configured the
    /// gateway acts only on commands signed by one of them; two keys during a change-over, so rotation needs no downtime.
    /// Empty: unsigned commands are accepted (broker credentials alone can then start a pump).
    /// </summary>
    public List<CommandKeySettings> Keys { get; set; } = new();

    /// <summary>The keys by id as bytes, what commands and plan sets are checked against (validated at start-up: every secret parses).</summary>
    public Dictionary<string, byte[]> KeyTable() =>
        Keys.ToDictionary(k => k.Id, k => Irrigation.Contracts.CommandSignature.ParseKey(k.Secret)!, StringComparer.Ordinal);
}

/// <summary>
/// One command key: its id (named in each signed command) and the secret, base64 of at least 32 bytes. The gateway
/// holds these in <c>commands.keys</c>; the server holds the same per gateway (<c>Irrigation:Commands:GatewayKeys</c>).
/// </summary>
public sealed class CommandKeySettings
{
    public string Id { get; set; } = "";

    public string Secret { get; set; } = "";

    /// <summary>
    /// The first problem of a key list — an empty, long or repeated id (a signature names its key by id, so two keys
    /// under one id would make one of them unusable), or a secret too short — as its index, field (<c>id</c> or
    /// <c>secret</c>) and what is wrong; null when every key is usable. The gateway and the server check with this.
    /// </summary>
    public static (int Index, string Field, string Problem)? FirstProblem(IReadOnlyList<CommandKeySettings> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        for (var i = 0; i < keys.Count; i++)
        {
            var id = keys[i].Id;
            if (id.Length is 0 or > 64 || keys.Count(k => k.Id == id) != 1)
                return (i, "id", "must be 1..64 characters and unique");
            if (Irrigation.Contracts.CommandSignature.ParseKey(keys[i].Secret) is null)
                return (i, "secret", $"must be base64 of at least {Irrigation.Contracts.CommandSignature.MinKeyBytes} bytes (e.g. openssl rand -base64 32)");
        }

        return null;
    }
}

public sealed class ScheduleSettings
{
    /// <summary>A plan does not start a pump an operator stopped within this time, unless the plan overrides it.</summary>
    public TimeSpan OperatorStopHold { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A start this late (gateway restarted, queue busy) is still made; later, the run is reported not executed.</summary>
    public TimeSpan LateStartGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The clock is not trusted when it differs from the server's by more than this, or went back by more.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the scheduler looks at the plans.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);
}

public sealed class DtuListenerSettings
{
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 6000;

    /// <summary>Registration packet; "{id}" is the DTU id the station's endpoint names.</summary>
    public string Registration { get; set; } = "REG:{id}\r\n";

    public string Heartbeat { get; set; } = "HB\r\n";

    /// <summary>How long a new connection may take to send its registration packet.</summary>
    public TimeSpan RegistrationTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class StationSettings
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>Town or site, for grouping (e.g. 城东镇).</summary>
    public string Site { get; set; } = "";

    /// <summary>
    /// The electrical supply line (feeder, transformer) the station hangs on, e.g. "城东10kV 3号变". Stations naming the
    /// same line have their pump starts spaced by <c>commands.supplyLineStartGap</c>; none = not spaced by line.
    /// </summary>
    public string? SupplyLine { get; set; }

    public EndpointSettings Endpoint { get; set; } = new();

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(1);

    public DeviceSettings? Meter { get; set; }

    public DeviceSettings? Controller { get; set; }
}

public sealed class EndpointSettings
{
    /// <summary>"tcp": connect to Host:Port. "dtu": wait for DTU <see cref="DtuId"/> on the DTU listener.</summary>
    public string Type { get; set; } = "tcp";

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 502;

    /// <summary>
    /// Modbus links: "tcp" (MBAP) or "rtu" (RTU frames over TCP); DTU links are always RTU. A DL/T 645 meter's link
    /// carries DL/T 645 frames whatever this says.
    /// </summary>
    public string Framing { get; set; } = "tcp";

    public string? DtuId { get; set; }
}

public sealed class DeviceSettings
{
    public string Profile { get; set; } = "";

    /// <summary>Default: the profile's default unit id.</summary>
    public byte? UnitId { get; set; }

    /// <summary>Pumps on this controller (pump controllers only).</summary>
    public int Pumps { get; set; }

    /// <summary>Profile option choices, e.g. { "energyRegister": "0x101E" }.</summary>
    public Dictionary<string, string> Options { get; set; } = new();

    /// <summary>
    /// DL/T 645 meters: the meter's address as printed on its nameplate, 12 digits (e.g. "000012345678"); a single
    /// meter on its link may be named "AAAAAAAAAAAA" (any meter answers). Find it with <c>irrigation-probe meter-address</c>.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>
    /// This device's own link, when it is not the station's: a DL/T 645 meter (2400 baud, even parity) cannot share
    /// an RS-485 line with a Modbus controller, so it sits on a second serial-server port or DTU.
    /// </summary>
    public EndpointSettings? Endpoint { get; set; }
}
