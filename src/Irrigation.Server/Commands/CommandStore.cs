using Irrigation.Server.Data;
using System.Data.Common;

namespace Irrigation.Server.Commands;

/// <summary>The states of a pump command. pending → sent → one final state.</summary>
public static class CommandStates
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Succeeded = "succeeded";
    public const string Rejected = "rejected";
    public const string Failed = "failed";
    public const string Expired = "expired";
    public const string TimedOut = "timed_out";

    public static bool IsFinal(string state) => state is Succeeded or Rejected or Failed or Expired or TimedOut;
}

/// <summary>A pump command as the API shows it.</summary>
public sealed record CommandView(
    string Id, string Station, int Pump, string Action, string State, string? Reason, string? Detail,
    string RequestedBy, long CreatedAt, long ExpiresAt, long UpdatedAt);

public enum CreateCommandOutcome
{
    Created,

    /// <summary>The same idempotency key from the same user for the same action: the first command, unchanged.</summary>
    Existing,

    /// <summary>The same idempotency key for something else.</summary>
    KeyReused,

    /// <summary>Another command for that pump is still pending or sent.</summary>
    PumpBusy,
}

/// <summary>
/// Pump commands in the server database. The database enforces both rules that must hold across restarts and server
/// instances: one command per (user, idempotency key), and at most one open command per pump.
/// </summary>
public sealed class CommandStore
{
    private const string Columns = "id, station, pump, action, state, reason, detail, requested_by, created_ms, expires_ms, updated_ms";
    private readonly ServerDatabase _database;

    public CommandStore(ServerDatabase database) => _database = database;

    /// <summary>
    /// Creates a pending command unless the user's idempotency key was used before or the pump has an open command.
    /// Both are decided by the unique indexes, not by the read before the insert: two instances (or two requests) racing
    /// with the same key or for the same pump both pass the read, one insert wins, and the other (ON CONFLICT DO NOTHING:
    /// no row) reads again to say which.
    /// </summary>
    public (CreateCommandOutcome Outcome, CommandView? Command) Create(string idempotencyKey, string user, string station, int pump, string action, long nowMs, long expiresMs)
    {
        if (FindByKey(user, idempotencyKey) is { } earlier)
            return Repeated(earlier, station, pump, action);

        var command = new CommandView(Guid.NewGuid().ToString("N"), station, pump, action, CommandStates.Pending, null, null, user, nowMs, expiresMs, nowMs);
        using (var connection = _database.Open())
        using (var insert = connection.Command(
                   """
                   INSERT INTO commands (id, idempotency_key, requested_by, station, pump, action, state, created_ms, expires_ms, updated_ms)
                   VALUES (@id, @k, @u, @s, @p, @a, @st, @now, @exp, @now) ON CONFLICT DO NOTHING
                   """,
                   ("@id", command.Id), ("@k", idempotencyKey), ("@u", user), ("@s", station), ("@p", pump), ("@a", action), ("@st", command.State), ("@now", nowMs), ("@exp", expiresMs)))
        {
            if (insert.ExecuteNonQuery() == 1)
                return (CreateCommandOutcome.Created, command);
        }

        // A unique index refused it: the key (a concurrent request with it won) or the pump's open command.
        return FindByKey(user, idempotencyKey) is { } winner
            ? Repeated(winner, station, pump, action)
            : (CreateCommandOutcome.PumpBusy, Open(station).FirstOrDefault(c => c.Pump == pump));
    }

    private static (CreateCommandOutcome, CommandView?) Repeated(CommandView first, string station, int pump, string action) =>
        first.Station == station && first.Pump == pump && first.Action == action
            ? (CreateCommandOutcome.Existing, first)
            : (CreateCommandOutcome.KeyReused, first);

    /// <summary>The command a user created with this idempotency key, if any.</summary>
    public CommandView? FindByKey(string user, string idempotencyKey)
    {
        using var connection = _database.Open();
        using var select = connection.Command($"SELECT {Columns} FROM commands WHERE requested_by = @u AND idempotency_key = @k", ("@u", user), ("@k", idempotencyKey));
        using var reader = select.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    public CommandView? Get(string id)
    {
        using var connection = _database.Open();
        using var select = connection.Command($"SELECT {Columns} FROM commands WHERE id = @id", ("@id", id));
        using var reader = select.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>Commands still pending or sent, optionally of one station.</summary>
    public IReadOnlyList<CommandView> Open(string? station = null) =>
        List($"SELECT {Columns} FROM commands WHERE state IN ('pending', 'sent') AND (CAST(@s AS TEXT) IS NULL OR station = @s) ORDER BY created_ms", ("@s", station));

    /// <summary>The newest finished command of every pump that has one: (station, pump) → (action, final state, when it finished).</summary>
    public IReadOnlyDictionary<(string Station, int Pump), (string Action, string State, long AtMs)> LastFinishedPerPump()
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            """
            SELECT c.station, c.pump, c.action, c.state, c.updated_ms FROM commands c
            JOIN (SELECT station, pump, max(created_ms) AS newest FROM commands WHERE state NOT IN ('pending', 'sent') GROUP BY station, pump) n
              ON n.station = c.station AND n.pump = c.pump AND n.newest = c.created_ms
            WHERE c.state NOT IN ('pending', 'sent')
            """);
        using var reader = select.ExecuteReader();
        var result = new Dictionary<(string, int), (string, string, long)>();
        while (reader.Read())
            result[(reader.GetString(0), reader.GetInt32(1))] = (reader.GetString(2), reader.GetString(3), reader.GetInt64(4));
        return result;
    }

    public IReadOnlyList<CommandView> Recent(string? station, int limit) =>
        List($"SELECT {Columns} FROM commands WHERE (CAST(@s AS TEXT) IS NULL OR station = @s) ORDER BY created_ms DESC LIMIT @l", ("@s", station), ("@l", Math.Clamp(limit, 1, 500)));

    /// <summary>Moves a command to <paramref name="state"/> only if it is in one of <paramref name="from"/>; null when it was not.</summary>
    public CommandView? Transition(string id, IReadOnlyList<string> from, string state, string? reason, string? detail, long nowMs)
    {
        using var connection = _database.Open();
        var placeholders = string.Join(", ", from.Select((_, i) => $"@f{i}"));
        var parameters = new List<(string, object?)> { ("@id", id), ("@st", state), ("@r", reason), ("@d", detail), ("@now", nowMs) };
        parameters.AddRange(from.Select((f, i) => ($"@f{i}", (object?)f)));
        using var update = connection.Command($"UPDATE commands SET state = @st, reason = @r, detail = @d, updated_ms = @now WHERE id = @id AND state IN ({placeholders})", [.. parameters]);
        return update.ExecuteNonQuery() == 1 ? Get(id) : null;
    }

    private List<CommandView> List(string sql, params (string, object?)[] parameters)
    {
        using var connection = _database.Open();
        using var select = connection.Command(sql, parameters);
        using var reader = select.ExecuteReader();
        var list = new List<CommandView>();
        while (reader.Read())
            list.Add(Read(reader));
        return list;
    }

    private static CommandView Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4), r.NullableString(5), r.NullableString(6),
        r.GetString(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10));
}
