using Irrigation.Server.Data;

namespace Irrigation.Server.State;

/// <summary>An administrator's settings for one station; null fields keep the gateway configuration's value.</summary>
public sealed record StationSettings(string Station, string? Name, string? Site, double? WaterPerKwh, long UpdatedAt, string UpdatedBy);

/// <summary>
/// Station settings an administrator changes at run time, in the server database: the name and town operators see (and the
/// <c>site</c> tag new telemetry is stored under when the gateway sends none) and the 以电折水 coefficient, calibrated
/// per station at acceptance. <see cref="ApplyTo"/> applies them to the registry at start-up and to stations it
/// registers later. Every save counts the row's revision up, so the sum of revisions is a version that only moves on a
/// change: <see cref="Refresh"/> compares it (one small query) and reads the rows again only when it moved — also when
/// another server instance on a shared database saved, which this instance's copy would otherwise show only after a restart.
/// </summary>
public sealed class StationSettingsStore
{
    // sum() of BIGINT is NUMERIC on PostgreSQL: cast back, so both engines answer a long.
    private const string VersionSql = "SELECT CAST(coalesce(sum(revision), 0) AS BIGINT) FROM station_settings";
    private readonly ServerDatabase _database;
    private readonly Lock _reload = new();
    private volatile Dictionary<string, StationSettings> _settings = new(StringComparer.Ordinal);
    private long _version = -1;
    private StationRegistry? _registry;

    public StationSettingsStore(ServerDatabase database)
    {
        _database = database;
        Refresh();
    }

    /// <summary>Applies the saved settings to every registered station and to each one the registry adds later.</summary>
    public void ApplyTo(StationRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        registry.Registered = Apply;
        foreach (var station in registry.All)
            Apply(station);
    }

    /// <summary>The administrator's 以电折水 coefficient of the station (m³ per kWh), null when none was set here.</summary>
    public double? WaterPerKwhOf(string station) => _settings.TryGetValue(station, out var s) ? s.WaterPerKwh : null;

    public StationSettings? Find(string station) => _settings.GetValueOrDefault(station);

    /// <summary>
    /// Reads the settings again when their version in the database moved since the last read, and applies them to the
    /// registry given to <see cref="ApplyTo"/>; true when it read them. Costs one aggregate over a row per station otherwise.
    /// </summary>
    public bool Refresh()
    {
        using var connection = _database.Open();
        using (var version = connection.Command(VersionSql))
        {
            if ((long)version.ExecuteScalar()! == Interlocked.Read(ref _version))
                return false;
        }

        lock (_reload)
        {
            // The rows and their version from one statement, so a save committed in between is in both or in neither.
            var read = new Dictionary<string, StationSettings>(StringComparer.Ordinal);
            long sum = 0;
            using (var select = connection.Command("SELECT station, name, site, water_per_kwh, updated_ms, updated_by, revision FROM station_settings"))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    var s = new StationSettings(reader.GetString(0), reader.NullableString(1), reader.NullableString(2),
                        reader.NullableDouble(3), reader.GetInt64(4), reader.GetString(5));
                    read[s.Station] = s;
                    sum += reader.GetInt64(6);
                }
            }

            _settings = read;
            Interlocked.Exchange(ref _version, sum);
            if (_registry is { } registry)
            {
                foreach (var station in registry.All)
                    Apply(station);
            }
        }

        return true;
    }

    /// <summary>
    /// Saves the given fields (null keeps the saved or configured value) and applies them at once. The fields not given
    /// are kept by the upsert from the row as stored, not from this instance's copy, so two instances changing different
    /// fields of one station do not undo each other.
    /// </summary>
    public StationSettings Save(StationEntry station, string? name, string? site, double? waterPerKwh, string user, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(station);
        StationSettings saved;
        using (var connection = _database.Open())
        using (var upsert = connection.Command(
            """
            INSERT INTO station_settings (station, name, site, water_per_kwh, updated_ms, updated_by, revision) VALUES (@s, @n, @site, @w, @now, @u, 1)
            ON CONFLICT (station) DO UPDATE SET name = coalesce(excluded.name, station_settings.name), site = coalesce(excluded.site, station_settings.site),
                water_per_kwh = coalesce(excluded.water_per_kwh, station_settings.water_per_kwh), updated_ms = excluded.updated_ms, updated_by = excluded.updated_by,
                revision = station_settings.revision + 1
            RETURNING name, site, water_per_kwh
            """,
            ("@s", station.Id), ("@n", name), ("@site", site), ("@w", waterPerKwh), ("@now", nowMs), ("@u", user)))
        using (var reader = upsert.ExecuteReader())
        {
            reader.Read();
            saved = new StationSettings(station.Id, reader.NullableString(0), reader.NullableString(1), reader.NullableDouble(2), nowMs, user);
        }

        lock (_reload)
        {
            // The version is left as it was: the next Refresh reads every row once, with whatever else changed meanwhile.
            _settings = new Dictionary<string, StationSettings>(_settings, StringComparer.Ordinal) { [station.Id] = saved };
            Apply(station);
        }

        return saved;
    }

    private void Apply(StationEntry station)
    {
        if (_settings.TryGetValue(station.Id, out var s))
            station.Describe(s.Name ?? station.Name, s.Site ?? station.Site);
    }
}
