using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Irrigation.Contracts;
using Irrigation.Devices;
using Irrigation.Dlt645.Framing;
using Irrigation.Mqtt.Client;

namespace Irrigation.Gateway.Configuration;

/// <summary>A station as the gateway runs it: its settings with profiles resolved.</summary>
public sealed record StationDefinition(StationSettings Settings, ResolvedProfile? Meter, byte MeterUnitId, ResolvedProfile? Controller, byte ControllerUnitId, int PumpCount)
{
    public string Id => Settings.Id;

    /// <summary>The meter's link: its own endpoint, or the station's.</summary>
    public EndpointSettings MeterEndpoint => Settings.Meter?.Endpoint ?? Settings.Endpoint;

    /// <summary>The controller's link: its own endpoint, or the station's.</summary>
    public EndpointSettings ControllerEndpoint => Settings.Controller?.Endpoint ?? Settings.Endpoint;

    /// <summary>A DL/T 645 meter's address (validated at load); default for Modbus meters.</summary>
    public Dlt645Address MeterAddress { get; init; }

    /// <summary>"dtu:{id}" or "{framing}://host:port": devices naming the same key share one client and one line.</summary>
    public static string LinkKey(EndpointSettings endpoint, DeviceProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.Type == "dtu" ? $"dtu:{endpoint.DtuId}"
            : protocol == DeviceProtocol.Dlt645 ? $"dlt645://{endpoint.Host}:{endpoint.Port}"
            : $"{endpoint.Framing}://{endpoint.Host}:{endpoint.Port}";
    }

    /// <summary>Every DTU a device of this station is reached through.</summary>
    public IEnumerable<string> DtuIds() =>
        new[] { Meter is null ? null : MeterEndpoint, Controller is null ? null : ControllerEndpoint }
            .Where(e => e?.Type == "dtu").Select(e => e!.DtuId!).Distinct(StringComparer.Ordinal);
}

/// <summary>Loads gateway.json, binds it strictly (unknown keys are errors) and validates every field.</summary>
public static class GatewayConfiguration
{
    public static (GatewayOptions Options, IReadOnlyList<StationDefinition> Stations) Load(string path)
    {
        var options = GatewayConfigurationFile.Bind(path, environment: true);
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return (options, Validate(options, path, baseDirectory));
    }

    /// <summary>Validates and resolves profiles; relative directories are taken from <paramref name="baseDirectory"/> then the program directory.</summary>
    public static IReadOnlyList<StationDefinition> Validate(GatewayOptions options, string file, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        void Require(bool condition, string field, string reason)
        {
            if (!condition)
                throw new GatewayConfigurationException($"{file}: {field}: {reason}");
        }

        Require(IsName(options.Id), "id", $"'{options.Id}' must be letters, digits, '-' or '_'");
        Require(IsName(options.TopicRoot), "topicRoot", $"'{options.TopicRoot}' must be letters, digits, '-' or '_' (no '/', '+', '#')");
        Require(options.StatsInterval >= TimeSpan.FromSeconds(1), "statsInterval", "must be at least 1 s");
        Require(options.Mqtt.Port is >= 1 and <= 65535, "mqtt.port", $"{options.Mqtt.Port} is outside 1..65535");
        Require(!string.IsNullOrWhiteSpace(options.Mqtt.Host), "mqtt.host", "is required");
        if (options.Mqtt.Brokers.Count > 0)
        {
            Require(options.Mqtt.Host == MqttSettings.DefaultHost && options.Mqtt.Port == MqttSettings.DefaultPort, "mqtt.brokers", "give either mqtt.brokers or mqtt.host and mqtt.port, not both");
            var seen = new HashSet<MqttBrokerEndpoint>();
            for (var i = 0; i < options.Mqtt.Brokers.Count; i++)
            {
                Require(MqttBrokerEndpoint.TryParse(options.Mqtt.Brokers[i], out var broker, out var reason), $"mqtt.brokers[{i}]", reason ?? "");
                Require(seen.Add(broker), $"mqtt.brokers[{i}]", $"{broker} is listed twice");
            }
        }

        Require(options.Mqtt.KeepAlive >= TimeSpan.FromSeconds(5), "mqtt.keepAlive", "must be at least 5 s");
        Require(options.Mqtt.MaxInflight is >= 1 and <= 10_000, "mqtt.maxInflight", "must be 1..10000");
        Require(options.Mqtt.Protocol is "5" or "3.1.1", "mqtt.protocol", $"must be \"5\" or \"3.1.1\", was \"{options.Mqtt.Protocol}\"");
        Require(options.Mqtt.SessionExpiry >= TimeSpan.FromMinutes(1) && options.Mqtt.SessionExpiry.TotalSeconds <= uint.MaxValue, "mqtt.sessionExpiry", "must be at least 00:01:00");
        ValidateTls(options.Mqtt, file, baseDirectory);
        Require(options.Buffer.SegmentBytes is >= 4096 and <= 512 * 1024 * 1024, "buffer.segmentBytes", "must be 4 KiB..512 MiB");
        Require(options.Buffer.MaxBytes >= 2L * options.Buffer.SegmentBytes, "buffer.maxBytes", "must hold at least two segments");
        Require(options.History.MaxAge >= TimeSpan.FromMinutes(1), "history.maxAge", "must be at least 00:01:00");
        Require(options.History.SegmentBytes is >= 4096 and <= 512 * 1024 * 1024, "history.segmentBytes", "must be 4 KiB..512 MiB");
        Require(options.History.MaxBytes >= 2L * options.History.SegmentBytes, "history.maxBytes", "must hold at least two segments");
        Require(options.History.MaxRepairMessages is >= 1 and <= 1_000_000, "history.maxRepairMessages", "must be 1..1000000");
        Require(options.Publishing.SnapshotInterval >= TimeSpan.FromSeconds(1), "publishing.snapshotInterval", "must be at least 1 s");
        Require(options.Commands.FeedbackTimeout > TimeSpan.Zero && options.Commands.FeedbackTimeout <= TimeSpan.FromMinutes(1), "commands.feedbackTimeout", "must be 0..60 s");
        Require(options.Commands.MinTimeBetweenStarts >= TimeSpan.Zero, "commands.minTimeBetweenStarts", "must not be negative");
        Require(options.Commands.SupplyLineStartGap >= TimeSpan.Zero && options.Commands.SupplyLineStartGap <= TimeSpan.FromMinutes(5), "commands.supplyLineStartGap", "must be 0..5 min");
        Require(options.Commands.JournalSize is >= 100 and <= 1_000_000, "commands.journalSize", "must be 100..1000000");
        Require(options.Schedule.OperatorStopHold >= TimeSpan.Zero && options.Schedule.OperatorStopHold <= TimeSpan.FromDays(1), "schedule.operatorStopHold", "must be 0..24 h");
        Require(options.Schedule.LateStartGrace >= TimeSpan.FromSeconds(5) && options.Schedule.LateStartGrace <= TimeSpan.FromHours(1), "schedule.lateStartGrace", "must be 5 s..1 h");
        Require(options.Schedule.MaxClockSkew >= TimeSpan.FromSeconds(5) && options.Schedule.MaxClockSkew <= TimeSpan.FromHours(1), "schedule.maxClockSkew", "must be 5 s..1 h");
        Require(options.Schedule.TickInterval >= TimeSpan.FromMilliseconds(100) && options.Schedule.TickInterval <= TimeSpan.FromSeconds(30), "schedule.tickInterval", "must be 100 ms..30 s");
        if (CommandKeySettings.FirstProblem(options.Commands.Keys) is { } key)
            Require(false, $"commands.keys[{key.Index}].{key.Field}", key.Problem);
        if (options.DtuListener is { } dtu)
        {
            Require(dtu.Port is >= 0 and <= 65535, "dtuListener.port", $"{dtu.Port} is outside 0..65535");
            Require(dtu.Registration.Contains("{id}", StringComparison.Ordinal), "dtuListener.registration", "must contain {id}");
            Require(!string.IsNullOrEmpty(dtu.Heartbeat), "dtuListener.heartbeat", "is required");
        }

        Require(options.Stations.Count > 0, "stations", "at least one station is required");
        var profilesDirectory = Rooted(options.ProfilesDirectory, baseDirectory);
        if (!Directory.Exists(profilesDirectory))
            profilesDirectory = Path.Combine(AppContext.BaseDirectory, options.ProfilesDirectory);
        IReadOnlyDictionary<string, DeviceProfile> profiles;
        try
        {
            profiles = DeviceProfileLoader.LoadDirectory(profilesDirectory);
        }
        catch (DeviceProfileException ex)
        {
            throw new GatewayConfigurationException($"{file}: profilesDirectory: {ex.Message}", ex);
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var stations = new List<StationDefinition>();
        var linkProtocols = new Dictionary<string, (DeviceProtocol Protocol, string User)>(StringComparer.Ordinal);
        for (var i = 0; i < options.Stations.Count; i++)
        {
            var s = options.Stations[i];
            var at = $"stations[{i}]";
            Require(IsName(s.Id), at + ".id", $"'{s.Id}' must be letters, digits, '-' or '_'");
            Require(ids.Add(s.Id), at + ".id", $"'{s.Id}' is used twice");
            Require(s.Id != "gateways", at + ".id", "'gateways' is reserved for gateway status topics");
            Require(s.PollInterval >= TimeSpan.FromMilliseconds(100) && s.PollInterval <= TimeSpan.FromHours(1), at + ".pollInterval", "must be 100 ms..1 h");
            Require(s.RequestTimeout >= TimeSpan.FromMilliseconds(50) && s.RequestTimeout <= TimeSpan.FromSeconds(30), at + ".requestTimeout", "must be 50 ms..30 s");
            Require(s.SupplyLine is null || s.SupplyLine.Trim().Length is > 0 and <= 64, at + ".supplyLine", "must be 1..64 characters when given");
            void RequireEndpoint(EndpointSettings e, string path)
            {
                Require(e.Type is "tcp" or "dtu", path + ".type", $"'{e.Type}' must be tcp or dtu");
                if (e.Type == "tcp")
                {
                    Require(!string.IsNullOrWhiteSpace(e.Host), path + ".host", "is required");
                    Require(e.Port is >= 1 and <= 65535, path + ".port", $"{e.Port} is outside 1..65535");
                    Require(e.Framing is "tcp" or "rtu", path + ".framing", $"'{e.Framing}' must be tcp or rtu");
                }
                else
                {
                    Require(options.DtuListener is not null, path + ".type", "a dtu endpoint needs the top-level dtuListener section");
                    Require(!string.IsNullOrWhiteSpace(e.DtuId), path + ".dtuId", "is required for a dtu endpoint");
                }
            }

            RequireEndpoint(s.Endpoint, at + ".endpoint");
            if (s.Meter?.Endpoint is { } meterEndpoint)
                RequireEndpoint(meterEndpoint, at + ".meter.endpoint");
            if (s.Controller?.Endpoint is { } controllerEndpoint)
                RequireEndpoint(controllerEndpoint, at + ".controller.endpoint");

            Require(s.Meter is not null || s.Controller is not null, at, "needs a meter, a controller, or both");
            var (meter, meterUnit) = Resolve(s.Meter, DeviceKind.Meter, at + ".meter", profiles, file);
            var (controller, controllerUnit) = Resolve(s.Controller, DeviceKind.PumpController, at + ".controller", profiles, file);
            var pumps = s.Controller?.Pumps ?? 0;
            if (controller is not null)
                Require(pumps >= 1 && pumps <= controller.Pumps!.MaxPumps, at + ".controller.pumps", $"{pumps} is outside 1..{controller.Pumps!.MaxPumps} for profile '{controller.Id}'");
            var meterAddress = default(Dlt645Address);
            if (meter?.Protocol == DeviceProtocol.Dlt645)
            {
                Require(Dlt645Address.TryParse(s.Meter!.Address, out meterAddress) && !meterAddress.IsBroadcast, at + ".meter.address",
                    $"'{s.Meter.Address}' must be the meter's address, up to 12 digits, shorter ones padded with leading zeros (nameplate, or irrigation-probe meter-address); AAAAAAAAAAAA reads whichever single meter is on the link");
                Require(s.Meter.UnitId is null, at + ".meter.unitId", "a DL/T 645 meter is addressed by meter.address, not a Modbus unit id");
            }
            else if (s.Meter?.Address is not null)
            {
                Require(false, at + ".meter.address", "is for DL/T 645 meters; a Modbus meter is addressed by meter.unitId");
            }

            var definition = new StationDefinition(s, meter, meterUnit, controller, controllerUnit, pumps) { MeterAddress = meterAddress };
            if (meter is not null && controller is not null && meter.Protocol == controller.Protocol && LinkKey(definition, true) == LinkKey(definition, false))
                Require(meterUnit != controllerUnit, at + ".controller.unitId", $"meter and controller both use unit {meterUnit} on one link");
            foreach (var (device, isMeter, protocol) in new[] { (meter, true, meter?.Protocol), (controller, false, controller?.Protocol) })
            {
                if (device is null)
                    continue;
                var link = Line(definition, isMeter);
                if (linkProtocols.TryGetValue(link, out var other) && other.Protocol != protocol)
                    Require(false, $"{at}.{(isMeter ? "meter" : "controller")}", $"its link {link} already carries {other.Protocol} for {other.User}: one line speaks one protocol, so give this device its own endpoint");
                linkProtocols.TryAdd(link, (protocol!.Value, $"{s.Id} {(isMeter ? "meter" : "controller")}"));
            }

            stations.Add(definition);
        }

        return stations;
    }

    private static string LinkKey(StationDefinition station, bool meter) =>
        StationDefinition.LinkKey(meter ? station.MeterEndpoint : station.ControllerEndpoint, (meter ? station.Meter : station.Controller)!.Protocol);

    /// <summary>The physical line whatever is spoken on it: a serial-server port or a DTU.</summary>
    private static string Line(StationDefinition station, bool meter)
    {
        var e = meter ? station.MeterEndpoint : station.ControllerEndpoint;
        return e.Type == "dtu" ? $"dtu {e.DtuId}" : $"{e.Host}:{e.Port}";
    }

    private static (ResolvedProfile? Profile, byte UnitId) Resolve(DeviceSettings? device, DeviceKind kind, string at, IReadOnlyDictionary<string, DeviceProfile> profiles, string file)
    {
        if (device is null)
            return (null, 0);
        if (!profiles.TryGetValue(device.Profile, out var profile))
            throw new GatewayConfigurationException($"{file}: {at}.profile: no profile '{device.Profile}' (have: {string.Join(", ", profiles.Keys)})");
        if (profile.Kind != kind)
            throw new GatewayConfigurationException($"{file}: {at}.profile: '{device.Profile}' is a {profile.Kind}, expected a {kind}");
        var unit = device.UnitId ?? profile.DefaultUnitId;
        if (unit is < 1 or > 247)
            throw new GatewayConfigurationException($"{file}: {at}.unitId: {unit} is outside 1..247");
        try
        {
            return (profile.Resolve(device.Options), unit);
        }
        catch (DeviceProfileException ex)
        {
            throw new GatewayConfigurationException($"{file}: {at}.{ex.Field}: {ex.Reason}", ex);
        }
    }

    /// <summary>
    /// The TLS files are read now, as the client will read them: a missing, unreadable or mismatched file stops the
    /// gateway at start with the field named, instead of every connection attempt failing later in the log.
    /// </summary>
    private static void ValidateTls(MqttSettings mqtt, string file, string baseDirectory)
    {
        void Fail(string field, string reason) => throw new GatewayConfigurationException($"{file}: {field}: {reason}");
        if (mqtt.TlsCaFile is null)
        {
            if (mqtt.TlsCertFile is not null || mqtt.TlsKeyFile is not null)
                Fail(mqtt.TlsCertFile is not null ? "mqtt.tlsCertFile" : "mqtt.tlsKeyFile", "needs mqtt.tlsCaFile (client certificates are sent only over TLS)");
            return;
        }

        if ((mqtt.TlsCertFile is null) != (mqtt.TlsKeyFile is null))
            Fail(mqtt.TlsCertFile is null ? "mqtt.tlsKeyFile" : "mqtt.tlsCertFile", "needs mqtt.tlsCertFile and mqtt.tlsKeyFile together");
        var ca = Rooted(mqtt.TlsCaFile, baseDirectory);
        try
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(ca);
            if (authorities.Count == 0)
                Fail("mqtt.tlsCaFile", $"'{mqtt.TlsCaFile}' holds no PEM certificate");
            foreach (var authority in authorities)
                authority.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            Fail("mqtt.tlsCaFile", Unreadable(mqtt.TlsCaFile, ex));
        }

        if (mqtt.TlsCertFile is null || mqtt.TlsKeyFile is null)
            return;
        var certificate = Rooted(mqtt.TlsCertFile, baseDirectory);
        var key = Rooted(mqtt.TlsKeyFile, baseDirectory);
        foreach (var (field, value, path) in new[] { ("mqtt.tlsCertFile", mqtt.TlsCertFile, certificate), ("mqtt.tlsKeyFile", mqtt.TlsKeyFile, key) })
        {
            try
            {
                using var stream = File.OpenRead(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Fail(field, Unreadable(value, ex));
            }
        }

        try
        {
            using var pair = X509Certificate2.CreateFromPemFile(certificate, key);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            Fail("mqtt.tlsKeyFile", $"'{mqtt.TlsCertFile}' and '{mqtt.TlsKeyFile}' are not a PEM certificate and its private key: {ex.Message}");
        }
    }

    private static string Unreadable(string value, Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => $"'{value}' does not exist",
        UnauthorizedAccessException => $"'{value}' cannot be read: {ex.Message}",
        _ => $"'{value}' cannot be read as PEM: {ex.Message}",
    };

    private static string Rooted(string path, string baseDirectory) => Path.IsPathRooted(path) ? path : Path.Combine(baseDirectory, path);

    private static bool IsName(string? value) => !string.IsNullOrEmpty(value) && value.Length <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
