namespace Irrigation.Server.Data;

/// <summary>
/// What <see cref="LeaseStore.TryAcquireOrRenew"/> gave: whether the caller holds the lease now, its generation (the
/// holder's fencing token; when not held, the current holder's), and when it expires by the database's clock.
/// </summary>
public sealed record LeaseGrant(bool Held, long Generation, string? Owner, long ExpiresAtMs);

/// <summary>
/// Leases for work that one server instance at a time must do (a sweep, a scheduled report), in the server database:
/// one row per name with its owner, a generation and an expiry. Expiry is always compared with the database's clock
/// (PostgreSQL's <c>clock_timestamp()</c>; SQLite runs inside the process, so there it is this machine's clock), never
/// with the callers' clocks, so instances whose clocks differ still agree when a lease has lapsed.
/// <para>
/// Semantics: a free or lapsed lease goes to whoever asks first, with generation + 1; its holder renews it (same
/// generation) for as long as it asks again before expiry; a lease that lapsed is a new lease even for the same owner
/// (generation + 1), because another instance may have acted in between. <see cref="Release"/> ends it at once and keeps
/// the generation, so generations never repeat. A holder checks <see cref="IsCurrent"/> (or compares the generation
/// inside its own write) before a step that must not be done twice; a paused holder whose lease was taken over then
/// finds it is no longer current.
/// </para>
/// </summary>
public sealed class LeaseStore
{
    /// <summary>The longest lease: a crashed holder blocks the work at most this long.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);

    private readonly ServerDatabase _database;

    public LeaseStore(ServerDatabase database) => _database = database;

    /// <summary>Takes the lease when it is free or lapsed, renews it when <paramref name="owner"/> holds it; one atomic statement.</summary>
    public LeaseGrant TryAcquireOrRenew(string name, string owner, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        if (duration <= TimeSpan.Zero || duration > MaxDuration)
            throw new ArgumentOutOfRangeException(nameof(duration), duration, $"A lease lasts more than zero and at most {MaxDuration}.");
        var now = _database.Dialect.NowMs;
        using var connection = _database.Open();
        using (var upsert = connection.Command(
                   $"""
                   INSERT INTO leases (name, owner, generation, expires_ms) VALUES (@name, @owner, 1, {now} + @duration)
                   ON CONFLICT (name) DO UPDATE SET
                       generation = CASE WHEN leases.owner = excluded.owner AND leases.expires_ms > {now} THEN leases.generation ELSE leases.generation + 1 END,
                       owner = excluded.owner, expires_ms = excluded.expires_ms
                   WHERE leases.owner = excluded.owner OR leases.expires_ms <= {now}
                   RETURNING generation, expires_ms
                   """,
                   ("@name", name), ("@owner", owner), ("@duration", (long)duration.TotalMilliseconds)))
        using (var reader = upsert.ExecuteReader())
        {
            if (reader.Read())
                return new LeaseGrant(true, reader.GetInt64(0), owner, reader.GetInt64(1));
        }

        using var current = connection.Command("SELECT generation, owner, expires_ms FROM leases WHERE name = @name", ("@name", name));
        using var row = current.ExecuteReader();
        return row.Read() ? new LeaseGrant(false, row.GetInt64(0), row.GetString(1), row.GetInt64(2)) : new LeaseGrant(false, 0, null, 0);
    }

    /// <summary>Ends <paramref name="owner"/>'s lease at once (the next taker gets generation + 1); false when it did not hold it.</summary>
    public bool Release(string name, string owner)
    {
        using var connection = _database.Open();
        using var release = connection.Command(
            $"UPDATE leases SET expires_ms = {_database.Dialect.NowMs} WHERE name = @name AND owner = @owner AND expires_ms > {_database.Dialect.NowMs}",
            ("@name", name), ("@owner", owner));
        return release.ExecuteNonQuery() == 1;
    }

    /// <summary>The fencing check: <paramref name="generation"/> is the lease's current generation and it has not lapsed.</summary>
    public bool IsCurrent(string name, long generation)
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            $"SELECT count(*) FROM leases WHERE name = @name AND generation = @generation AND expires_ms > {_database.Dialect.NowMs}",
            ("@name", name), ("@generation", generation));
        return Convert.ToInt64(select.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }
}
