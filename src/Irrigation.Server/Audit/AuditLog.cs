using Irrigation.Server.Data;

namespace Irrigation.Server.Audit;

/// <summary>One audit entry: who did what to which station/pump, when, from where, and how it ended.</summary>
public sealed record AuditEntry(long Id, long Ts, string? Actor, string Action, string? Station, int? Pump, string Outcome, string? Detail, string? Address);

/// <summary>
/// The append-only audit trail in SQLite (triggers refuse UPDATE and DELETE): every sign-in, every command
/// request including refused ones, every command state change, every administrative change.
/// </summary>
public sealed class AuditLog
{
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
        using var connection = _database.Open();
        using var insert = connection.Command(
            "INSERT INTO audit (ts_ms, actor, action, station, pump, outcome, detail, address) VALUES ($ts, $a, $act, $s, $p, $o, $d, $addr)",
            ("$ts", _time.GetUtcNow().ToUnixTimeMilliseconds()), ("$a", actor), ("$act", action), ("$s", station), ("$p", pump),
            ("$o", outcome), ("$d", detail is { Length: > 1000 } ? detail[..1000] : detail), ("$addr", address));
        insert.ExecuteNonQuery();
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

    /// <summary>Newest first, optionally filtered.</summary>
    public IReadOnlyList<AuditEntry> Query(string? station, string? actor, string? action, int limit)
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            """
            SELECT id, ts_ms, actor, action, station, pump, outcome, detail, address FROM audit
            WHERE ($s IS NULL OR station = $s) AND ($a IS NULL OR actor = $a) AND ($act IS NULL OR action LIKE $act || '%')
            ORDER BY id DESC LIMIT $limit
            """,
            ("$s", station), ("$a", actor), ("$act", action), ("$limit", Math.Clamp(limit, 1, 1000)));
        using var reader = select.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            entries.Add(new AuditEntry(reader.GetInt64(0), reader.GetInt64(1), reader.NullableString(2), reader.GetString(3), reader.NullableString(4),
                reader.IsDBNull(5) ? null : reader.GetInt32(5), reader.GetString(6), reader.NullableString(7), reader.NullableString(8)));
        }

        return entries;
    }
}

public static class AuditRegistration
{
    /// <summary>The append-only audit trail (in the server database).</summary>
    public static IServiceCollection AddAuditTrail(this IServiceCollection services) => services.AddSingleton<AuditLog>();
}
