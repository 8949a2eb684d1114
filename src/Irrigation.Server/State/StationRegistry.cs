using System.Text;
using System.Text.Json;
using Irrigation.Gateway.Configuration;

namespace Irrigation.Server.State;

/// <summary>A station the server knows: identity, where it is, and its latest state (see <see cref="LatestValueCache"/>).</summary>
public sealed class StationEntry
{
    public StationEntry(string id, string name, string site, IReadOnlyList<string>? profiles = null, string? gateway = null)
    {
        Id = id;
        Gateway = gateway;
        Name = name;
        Site = site;
        Profiles = profiles ?? [];
        SiteUtf8 = Encoding.UTF8.GetBytes(site);
    }

    public string Id { get; }

    /// <summary>The gateway whose configuration lists the station (null for a station first seen in telemetry).</summary>
    public string? Gateway { get; }

    public string Name { get; private set; }

    public string Site { get; private set; }

    /// <summary>Device profile ids of the station's meter and pump controller, in that order (for per-profile alarm rules).</summary>
    public IReadOnlyList<string> Profiles { get; }

    internal byte[] SiteUtf8 { get; private set; }

    internal StationState State { get; } = new();

    /// <summary>An administrator's name and town for the station (see <c>StationSettingsStore</c>); the site tag follows.</summary>
    internal void Describe(string name, string site)
    {
        Name = name;
        SiteUtf8 = Encoding.UTF8.GetBytes(site); // read by the ingest loop: a new array, swapped in whole
        Site = site;
    }
}

/// <summary>
/// The stations whose telemetry is accepted. Loaded from the gateway configuration file(s) (their "stations"
/// arrays: id, name, site). With no file configured every station is accepted and registered on first sight.
/// Look-ups by UTF-8 id never allocate.
/// </summary>
public sealed class StationRegistry
{
    private readonly Dictionary<string, StationEntry> _stations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StationEntry>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    private readonly Lock _sync = new();

    public StationRegistry(bool acceptUnknown)
    {
        AcceptUnknown = acceptUnknown;
        _byChars = _stations.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>True when no station list is configured: unknown stations are registered, not dropped.</summary>
    public bool AcceptUnknown { get; }

    /// <summary>Called once for a station registered on first sight (an administrator's saved name applies to it too).</summary>
    internal Action<StationEntry>? Registered { get; set; }

    public IReadOnlyCollection<StationEntry> All
    {
        get
        {
            lock (_sync)
                return _stations.Values.ToList();
        }
    }

    public void Add(StationEntry station)
    {
        ArgumentNullException.ThrowIfNull(station);
        lock (_sync)
            _stations[station.Id] = station;
    }

    public StationEntry? Find(string id)
    {
        lock (_sync)
            return _stations.GetValueOrDefault(id);
    }

    /// <summary>Finds a station by its UTF-8 id (ASCII letters, digits, '-', '_'); registers it when unknown stations are accepted.</summary>
    public StationEntry? Find(ReadOnlySpan<byte> utf8Id)
    {
        if (utf8Id.Length is 0 or > 64)
            return null;
        Span<char> chars = stackalloc char[utf8Id.Length];
        for (var i = 0; i < utf8Id.Length; i++)
        {
            var b = utf8Id[i];
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_'))
                return null;
            chars[i] = (char)b;
        }

        StationEntry added;
        lock (_sync)
        {
            if (_byChars.TryGetValue(chars, out var station))
                return station;
            if (!AcceptUnknown)
                return null;
            added = new StationEntry(new string(chars), new string(chars), "");
            _stations[added.Id] = added;
        }

        Registered?.Invoke(added);
        return added;
    }

    /// <summary>Loads the "stations" arrays of gateway configuration files.</summary>
    public static StationRegistry FromGatewayConfigs(IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var registry = new StationRegistry(acceptUnknown: files.Count == 0);
        foreach (var file in files)
        {
            // The gateway's own reader (strict: an unknown key is an error there and here alike).
            var gateway = GatewayConfigurationFile.Bind(file);
            foreach (var station in gateway.Stations)
            {
                if (string.IsNullOrWhiteSpace(station.Id))
                    throw new InvalidDataException($"{file}: a station without an id.");
                var profiles = new[] { station.Meter?.Profile, station.Controller?.Profile }.OfType<string>().Where(p => p.Length > 0).ToList();
                registry.Add(new StationEntry(station.Id, station.Name.Length > 0 ? station.Name : station.Id, station.Site, profiles, gateway.Id));
            }
        }

        return registry;
    }
}
