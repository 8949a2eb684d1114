using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Irrigation.Server.Data;

namespace Irrigation.Server.Audit;

/// <summary>One audit entry: who did what to which station/pump, when, from where, and how it ended.</summary>
public sealed record AuditEntry(long Id, long Ts, string? Actor, string Action, string? Station, int? Pump, string Outcome, string? Detail, string? Address);

/// <summary>What <see cref="AuditLog.Verify"/> found: the entries it checked, and the first one that breaks the chain.</summary>
public sealed record AuditVerification(long Chained, long BeforeChain, AuditEntry? FirstBad, string? Reason)
{
    public bool Intact => FirstBad is null;
}

/// <summary>
/// The append-only audit trail in the server database (triggers refuse UPDATE and DELETE): every sign-in, every command
/// request including refused ones, every command state change, every administrative change. Each entry carries
/// a SHA-256 hash over its own fields and the previous entry's hash, so an entry changed, removed or slipped in
/// by someone who got past the triggers (the SQLite file is just a file; PostgreSQL's owner can disable triggers) breaks the chain from there on:
/// <c>irrigation-server verify-audit</c> names the first entry that does not match.
/// </summary>
public sealed class AuditLog
{
    /// <summary>The hash before the first chained entry.</summary>
    public const string Genesis = "";

    private readonly Lock _chain = new();
    private readonly ServerDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditLog> _logger;

    public AuditLog(ServerDatabase database, TimeProvider time, ILogger<AuditLog> logger)
    {
        _database = database;
        _time = time;
        _logger = logger;
    }

    public void Write(string? actor, string action, string outcome, string? station = null, int? pump = null, string? detail = null, string? address = null)
    {
        var ts = _time.GetUtcNow().ToUnixTimeMilliseconds();
        detail = detail is { Length: > 1000 } ? detail[..1000] : detail;
        // One writer at a time extends the chain: this process's lock, and against other processes the transaction —
        // SQLite's IMMEDIATE one, or PostgreSQL's advisory lock taken before the last hash is read and held to the
        // commit, so under READ COMMITTED no two instances chain onto the same entry and ids follow the chain's order.
        lock (_chain)
        {
            using var connection = _database.Open();
            using var transaction = connection.BeginTransaction();
            _database.Dialect.Serialize(connection, transaction, DatabaseLock.AuditChain);
            using var last = connection.Command("SELECT hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1");
            last.Transaction = transaction;
            var previous = last.ExecuteScalar() as string ?? Genesis;
            using var insert = connection.Command(
                "INSERT INTO audit (ts_ms, actor, action, station, pump, outcome, detail, address, hash) VALUES (@ts, @a, @act, @s, @p, @o, @d, @addr, @h)",
                ("@ts", ts), ("@a", actor), ("@act", action), ("@s", station), ("@p", pump), ("@o", outcome), ("@d", detail), ("@addr", address),
                ("@h", Hash(previous, ts, actor, action, station, pump, outcome, detail, address)));
            insert.Transaction = transaction;
            insert.ExecuteNonQuery();
            transaction.Commit();
        }

        _logger.LogInformation("audit {Action} by {Actor}: {Outcome} {Station} {Pump} {Detail}", action, actor ?? "-", outcome, station, pump, detail);
    }

    public void Write(HttpContext context, string action, string outcome, string? station = null, int? pump = null, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        Write(context.User.Identity?.IsAuthenticated == true ? context.User.Identity.Name : null, action, outcome, station, pump, detail, Address(context));
    }

    /// <summary>The client's address as people read it (127.0.0.1, not ::ffff:127.0.0.1).</summary>
    public static string? Address(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ip = context.Connection.RemoteIpAddress;
        return ip is { IsIPv4MappedToIPv6: true } ? ip.MapToIPv4().ToString() : ip?.ToString();
    }

    /// <summary>
    /// SHA-256 (hex) of the previous entry's hash and this entry's fields, as the JSON array
    /// <c>[previous, ts, actor, action, station, pump, outcome, detail, address]</c> (nulls as null): unambiguous
    /// whatever the fields contain.
    /// </summary>
    public static string Hash(string previous, long ts, string? actor, string action, string? station, int? pump, string outcome, string? detail, string? address)
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new object?[] { previous, ts, actor, action, station, pump, outcome, detail, address });
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }

    /// <summary>
    /// Walks the trail oldest first: entries from before the chain existed (no hash) may only come first; from the first
    /// chained entry on, each must carry the hash of its fields and its predecessor's hash.
    /// </summary>
    public AuditVerification Verify()
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT id, ts_ms, actor, action, station, pump, outcome, detail, address, hash FROM audit ORDER BY id");
        using var reader = select.ExecuteReader();
        long chained = 0, before = 0;
        string? previous = null;
        while (reader.Read())
        {
            var entry = Entry(reader);
            var hash = reader.NullableString(9);
            if (hash is null)
            {
                if (previous is not null)
                    return new AuditVerification(chained, before, entry, "has no hash although entries before it are chained (inserted past the audit log)");
                before++;
                continue;
            }

            var expected = Hash(previous ?? Genesis, entry.Ts, entry.Actor, entry.Action, entry.Station, entry.Pump, entry.Outcome, entry.Detail, entry.Address);
            if (!string.Equals(hash, expected, StringComparison.Ordinal))
                return new AuditVerification(chained, before, entry, "does not match the chain: it was changed, or an entry before it was removed");
            previous = hash;
            chained++;
        }

        return new AuditVerification(chained, before, null, null);
    }

    /// <summary>Entries in [fromMs, toMs) whose action starts with one of <paramref name="actionPrefixes"/>, oldest first: the acceptance pack's extract.</summary>
    public IReadOnlyList<AuditEntry> Between(long fromMs, long toMs, params string[] actionPrefixes)
    {
        ArgumentNullException.ThrowIfNull(actionPrefixes);
        using var connection = _database.Open();
        using var select = connection.Command("SELECT id, ts_ms, actor, action, station, pump, outcome, detail, address FROM audit WHERE ts_ms >= @from AND ts_ms < @to ORDER BY id",
            ("@from", fromMs), ("@to", toMs));
        using var reader = select.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            var action = reader.GetString(3);
            if (actionPrefixes.Length > 0 && !actionPrefixes.Any(p => action.StartsWith(p, StringComparison.Ordinal)))
                continue;
            entries.Add(Entry(reader));
        }

        return entries;
    }

    /// <summary>Newest first, optionally filtered.</summary>
    public IReadOnlyList<AuditEntry> Query(string? station, string? actor, string? action, int limit)
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            """
            SELECT id, ts_ms, actor, action, station, pump, outcome, detail, address FROM audit
            WHERE (CAST(@s AS TEXT) IS NULL OR station = @s) AND (CAST(@a AS TEXT) IS NULL OR actor = @a) AND (CAST(@act AS TEXT) IS NULL OR action LIKE @act || '%')
            ORDER BY id DESC LIMIT @limit
            """,
            ("@s", station), ("@a", actor), ("@act", action), ("@limit", Math.Clamp(limit, 1, 1000)));
        using var reader = select.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
            entries.Add(Entry(reader));

        return entries;
    }

    /// <summary>An entry from columns id, ts_ms, actor, action, station, pump, outcome, detail, address (in that order).</summary>
    private static AuditEntry Entry(DbDataReader reader) =>
        new(reader.GetInt64(0), reader.GetInt64(1), reader.NullableString(2), reader.GetString(3), reader.NullableString(4),
            reader.IsDBNull(5) ? null : reader.GetInt32(5), reader.GetString(6), reader.NullableString(7), reader.NullableString(8));
}

public static class AuditRegistration
{
    /// <summary>The append-only audit trail (in the server database).</summary>
    public static IServiceCollection AddAuditTrail(this IServiceCollection services) => services.AddSingleton<AuditLog>();
}
