using System.Globalization;
using Irrigation.Server.Configuration;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Values;

namespace Irrigation.Server.Uplink;

/// <summary>One station reported upward: our id, its SL 651 address, which of our values go in which element.</summary>
public sealed class UplinkStationOptions
{
    /// <summary>Our station id (as in the gateway configuration).</summary>
    public string Station { get; set; } = "";

    /// <summary>The SL 651 remote station address, 10 hex digits (5 bytes, §6.2.3.2), as the water bureau assigned it.</summary>
    public string Address { get; set; } = "";

    /// <summary>
    /// Element code (table C.1: Q, VTA … VIC, ZU, ZB, WP1 …) → our value key (<c>flow_rate</c>, <c>voltage_a</c> …).
    /// Empty: <see cref="UplinkOptions.DefaultElements"/>.
    /// </summary>
    public Dictionary<string, string> Elements { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Element code → factor applied to our value first, e.g. Q: 0.000277778 for m³/h to the standard's m³/s.</summary>
    public Dictionary<string, double> Scales { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether 44H pump/motor data is sent unprompted with each timed report (default true). The standard defines 44H as
    /// the answer to a query; a platform that does not acknowledge an unprompted one would hold the station's queue, so
    /// such a platform's stations set this false and get 44H only when it asks.
    /// </summary>
    public bool SendPumpData { get; set; } = true;

    /// <summary>Whether a pump switch command (4CH) from the platform is carried out. Default false: refused and audited.</summary>
    public bool AcceptPumpControl { get; set; }

    /// <summary>Pumps reported in the 4CH pump state (pump 1..n). 0: as many as the station reports.</summary>
    public int Pumps { get; set; }
}

/// <summary>
/// The SL 651-2014 uplink to a provincial or city platform (<c>Irrigation:Uplink</c>, docs/sl651.md). Off unless
/// <see cref="Host"/> is set: nothing is opened or sent, existing behaviour is unchanged.
/// </summary>
public sealed class UplinkOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Uplink";

    public static readonly TimeSpan DefaultKeepAliveInterval = TimeSpan.FromSeconds(40);
    public static readonly TimeSpan DefaultReportInterval = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultPumpStateInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultAckTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan DefaultCommandWait = TimeSpan.FromSeconds(45);
    public static readonly TimeSpan DefaultUtcOffset = TimeSpan.FromHours(8);
    public const long DefaultQueueMaxBytes = 64L * 1024 * 1024;

    /// <summary>Pump-station values the standard names (table C.1) and the keys our stations report them under.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultElements = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Q"] = "flow_rate",
        ["VTA"] = "voltage_a",
        ["VTB"] = "voltage_b",
        ["VTC"] = "voltage_c",
        ["VIA"] = "current_a",
        ["VIB"] = "current_b",
        ["VIC"] = "current_c",
    };

    /// <summary>
    /// The factor when a station names none: our <c>flow_rate</c> is in m³/h (every profile), the standard's Q in m³/s,
    /// so Q fed from it is divided by 3600; everything else is sent as it is.
    /// </summary>
    public static double DefaultScale(string code, string key) =>
        string.Equals(code, "Q", StringComparison.OrdinalIgnoreCase) && string.Equals(key, "flow_rate", StringComparison.Ordinal) ? 1 / 3600.0 : 1.0;

    /// <summary>The platform's address; empty turns the uplink off.</summary>
    public string Host { get; set; } = "";

    public int Port { get; set; }

    /// <summary>Centre station address 1..255 (§6.5 table 20).</summary>
    public int CentreAddress { get; set; } = 1;

    /// <summary>The 2-byte password the centre issued, 4 hex digits (§6.2.3.3).</summary>
    public string Password { get; set; } = "0000";

    /// <summary>2FH link keep-alive interval, 1..255 s (§6.6.4.2 recommends 40 s).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = DefaultKeepAliveInterval;

    /// <summary>Interval of the 32H timed report and the 44H pump/motor data (hourly).</summary>
    public TimeSpan ReportInterval { get; set; } = DefaultReportInterval;

    /// <summary>How often pump running states are compared; a change is reported at once (4CH self-report).</summary>
    public TimeSpan PumpStateInterval { get; set; } = DefaultPumpStateInterval;

    /// <summary>Wait for the platform's acknowledgement of one frame; two resends follow (§6.3.2.3).</summary>
    public TimeSpan AckTimeout { get; set; } = DefaultAckTimeout;

    /// <summary>Pause after the platform could not be reached or did not acknowledge, before trying the queue again.</summary>
    public TimeSpan RetryDelay { get; set; } = DefaultRetryDelay;

    /// <summary>Longest a platform pump command waits for the gateway's confirmation before the station answers.</summary>
    public TimeSpan CommandWait { get; set; } = DefaultCommandWait;

    /// <summary>Offset of the station clocks the frames carry (Beijing time).</summary>
    public TimeSpan UtcOffset { get; set; } = DefaultUtcOffset;

    /// <summary>Disk budget of each station's store-and-forward queue; when full, new reports are refused (logged, counted), none dropped silently.</summary>
    public long QueueMaxBytes { get; set; } = DefaultQueueMaxBytes;

    public List<UplinkStationOptions> Stations { get; set; } = [];

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    public ushort PasswordValue => ushort.Parse(Password, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    public void Validate()
    {
        if (!Enabled)
            return;
        if (Port is < 1 or > 65535)
            throw new ArgumentException($"{Section}:Port must be 1..65535, was {Port}.");
        if (CentreAddress is < 1 or > 255)
            throw new ArgumentException($"{Section}:CentreAddress must be 1..255, was {CentreAddress}.");
        if (Password.Length != 4 || !ushort.TryParse(Password, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _))
            throw new ArgumentException($"{Section}:Password must be 4 hex digits, was '{Password}'.");
        if (KeepAliveInterval < TimeSpan.FromSeconds(1) || KeepAliveInterval > TimeSpan.FromSeconds(255))
            throw new ArgumentException($"{Section}:KeepAliveInterval must be 1..255 s (§6.6.4.2), was {KeepAliveInterval}.");
        foreach (var (name, value) in new[] { (nameof(ReportInterval), ReportInterval), (nameof(PumpStateInterval), PumpStateInterval), (nameof(AckTimeout), AckTimeout), (nameof(RetryDelay), RetryDelay), (nameof(CommandWait), CommandWait) })
        {
            if (value <= TimeSpan.Zero)
                throw new ArgumentException($"{Section}:{name} must be positive, was {value}.");
        }

        if (UtcOffset < TimeSpan.FromHours(-14) || UtcOffset > TimeSpan.FromHours(14))
            throw new ArgumentException($"{Section}:UtcOffset must be within ±14 h, was {UtcOffset}.");
        if (QueueMaxBytes < 64 * 1024)
            throw new ArgumentException($"{Section}:QueueMaxBytes must be at least 65536, was {QueueMaxBytes}.");
        if (Stations.Count == 0)
            throw new ArgumentException($"{Section}:Stations: the uplink is on (Host is set) but reports no station.");
        for (var i = 0; i < Stations.Count; i++)
        {
            var s = Stations[i];
            var key = $"{Section}:Stations:{i}";
            if (string.IsNullOrWhiteSpace(s.Station))
                throw new ArgumentException($"{key}:Station is required.");
            if (!Sl651StationAddress.TryParse(s.Address, out _))
                throw new ArgumentException($"{key}:Address must be 10 hex digits (5 bytes, e.g. 0033000001), was '{s.Address}'.");
            if (s.Pumps is < 0 or > 64)
                throw new ArgumentException($"{key}:Pumps must be 0..64, was {s.Pumps}.");
            foreach (var code in s.Elements.Keys.Concat(s.Scales.Keys))
            {
                if (Sl651Elements.ByCode(code) is null)
                    throw new ArgumentException($"{key}: element '{code}' is not one this uplink reports ({string.Join(", ", Sl651Elements.All.Select(e => e.Code))}).");
            }
        }

        if (Stations.GroupBy(s => s.Station, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"{Section}:Stations: station '{twice.Key}' is listed twice.");
        if (Stations.GroupBy(s => s.Address, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } shared)
            throw new ArgumentException($"{Section}:Stations: address {shared.Key} is given to two stations.");
    }
}
