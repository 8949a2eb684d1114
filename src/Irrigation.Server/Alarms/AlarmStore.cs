using Irrigation.Server.Data;
using System.Data.Common;

namespace Irrigation.Server.Alarms;

/// <summary>
/// An alarm as the API shows it. State: active → acknowledged → cleared, or active → cleared (unacknowledged).
/// <see cref="MessageCode"/> and <see cref="MessageArgs"/> say what happened for the web app to translate
/// (<see cref="AlarmMessage"/>); <see cref="Message"/> is the Chinese text (empty code: an alarm raised before codes).
/// </summary>
public sealed record AlarmView(
    string Id, string Station, string StationName, string Rule, int? Pump, string Key, AlarmSeverity Severity, string Title, string TitleEn,
    string Message, double Value, string State, long RaisedAt, long? AcknowledgedAt, string? AcknowledgedBy, string? AckComment, long? ClearedAt,
    string MessageCode, IReadOnlyDictionary<string, string> MessageArgs);

public sealed record AlarmDelivery(long Id, string AlarmId, string Event, string Url, string Format, int Attempt, long Ts, int? HttpStatus, string Outcome, string? Error);

/// <summary>Alarm history and webhook deliveries in the server database; at most one open (uncleared) alarm per station and condition.</summary>
public sealed class AlarmStore
{
    private const string Columns = "id, station, station_name, rule, pump, key, severity, title, title_en, message, value, state, raised_ms, acknowledged_ms, acknowledged_by, ack_comment, cleared_ms, message_code, message_args";
    private readonly ServerDatabase _database;

    public AlarmStore(ServerDatabase database) => _database = database;

    /// <summary>Stores a new open alarm; null when the condition is already open at this station (raised by another server instance).</summary>
    public AlarmView? Raise(string station, string stationName, AlarmRule rule, int? pump, string key, AlarmMessage message, double value, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(message);
        var alarm = new AlarmView(Guid.NewGuid().ToString("N"), station, stationName, rule.Id, pump, key, rule.Severity, rule.Title, rule.TitleEn, message.Text, value, "active", nowMs,
            null, null, null, null, message.Code, message.Args);
        using var connection = _database.Open();
        // ON CONFLICT DO NOTHING on the one-open-alarm index: the loser of a race between instances gets no row, not an error.
        using var insert = connection.Command(
            $"INSERT INTO alarms ({Columns}) VALUES (@id, @s, @sn, @r, @p, @k, @sev, @t, @te, @m, @v, 'active', @now, NULL, NULL, NULL, NULL, @mc, @ma) ON CONFLICT DO NOTHING",
            ("@id", alarm.Id), ("@s", station), ("@sn", stationName), ("@r", rule.Id), ("@p", pump), ("@k", key), ("@sev", rule.Severity.Text()), ("@t", rule.Title),
            ("@te", rule.TitleEn), ("@m", message.Text), ("@v", double.IsFinite(value) ? value : 0), ("@now", nowMs),
            ("@mc", message.Code), ("@ma", message.ArgsJson));
        return insert.ExecuteNonQuery() == 1 ? alarm : null;
    }

    public AlarmView? Clear(string station, string key, long nowMs)
    {
        using var connection = _database.Open();
        using var update = connection.Command("UPDATE alarms SET state = 'cleared', cleared_ms = @now WHERE station = @s AND key = @k AND cleared_ms IS NULL RETURNING id", ("@s", station), ("@k", key), ("@now", nowMs));
        return update.ExecuteScalar() is string id ? Get(id) : null;
    }

    /// <summary>Acknowledges an alarm that is not yet acknowledged (active, or cleared while unacknowledged); null when there is none.</summary>
    public AlarmView? Acknowledge(string id, string user, string comment, long nowMs)
    {
        using var connection = _database.Open();
        using var update = connection.Command(
            "UPDATE alarms SET state = CASE WHEN cleared_ms IS NULL THEN 'acknowledged' ELSE state END, acknowledged_ms = @now, acknowledged_by = @u, ack_comment = @c WHERE id = @id AND acknowledged_ms IS NULL",
            ("@id", id), ("@u", user), ("@c", comment), ("@now", nowMs));
        return update.ExecuteNonQuery() == 1 ? Get(id) : null;
    }

    public AlarmView? Get(string id) => List($"SELECT {Columns} FROM alarms WHERE id = @id", ("@id", id)).FirstOrDefault();

    /// <summary>Alarms not cleared yet.</summary>
    public IReadOnlyList<AlarmView> Open() => List($"SELECT {Columns} FROM alarms WHERE cleared_ms IS NULL");

    /// <summary>
    /// Open alarms first, then history, each newest first, filtered by station, state and time (raised within
    /// from..to): the limit cuts history, never an old alarm that is still open.
    /// </summary>
    public IReadOnlyList<AlarmView> Query(string? station, string? state, long? fromMs, long? toMs, int limit) => List(
        $"""
        SELECT {Columns} FROM alarms
        WHERE (CAST(@s AS TEXT) IS NULL OR station = @s) AND (CAST(@from AS BIGINT) IS NULL OR raised_ms >= @from) AND (CAST(@to AS BIGINT) IS NULL OR raised_ms <= @to)
          AND (CAST(@st AS TEXT) IS NULL OR (@st = 'open' AND cleared_ms IS NULL) OR state = @st)
        ORDER BY cleared_ms IS NULL DESC, raised_ms DESC LIMIT @l
        """,
        ("@s", station), ("@from", fromMs), ("@to", toMs), ("@st", state), ("@l", Math.Clamp(limit, 1, 1000)));

    /// <summary>Every alarm of <paramref name="station"/> raised in [fromMs, toMs), oldest first, for reports and the acceptance ledger.</summary>
    public IReadOnlyList<AlarmView> Raised(string? station, long fromMs, long toMs) => List(
        $"SELECT {Columns} FROM alarms WHERE (CAST(@s AS TEXT) IS NULL OR station = @s) AND raised_ms >= @from AND raised_ms < @to ORDER BY raised_ms, id",
        ("@s", station), ("@from", fromMs), ("@to", toMs));

    public void RecordDelivery(string alarmId, string @event, string url, string format, int attempt, long nowMs, int? httpStatus, string outcome, string? error)
    {
        using var connection = _database.Open();
        using var insert = connection.Command(
            "INSERT INTO alarm_deliveries (alarm_id, event, url, format, attempt, ts_ms, http_status, outcome, error) VALUES (@a, @e, @u, @f, @n, @ts, @h, @o, @err)",
            ("@a", alarmId), ("@e", @event), ("@u", url), ("@f", format), ("@n", attempt), ("@ts", nowMs), ("@h", httpStatus), ("@o", outcome), ("@err", error is { Length: > 500 } ? error[..500] : error));
        insert.ExecuteNonQuery();
    }

    public IReadOnlyList<AlarmDelivery> Deliveries(string alarmId)
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT id, alarm_id, event, url, format, attempt, ts_ms, http_status, outcome, error FROM alarm_deliveries WHERE alarm_id = @a ORDER BY id", ("@a", alarmId));
        using var reader = select.ExecuteReader();
        var list = new List<AlarmDelivery>();
        while (reader.Read())
        {
            list.Add(new AlarmDelivery(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5), reader.GetInt64(6),
                reader.IsDBNull(7) ? null : reader.GetInt32(7), reader.GetString(8), reader.NullableString(9)));
        }

        return list;
    }

    private List<AlarmView> List(string sql, params (string, object?)[] parameters)
    {
        using var connection = _database.Open();
        using var select = connection.Command(sql, parameters);
        using var reader = select.ExecuteReader();
        var list = new List<AlarmView>();
        while (reader.Read())
            list.Add(Read(reader));
        return list;
    }

    private static AlarmView Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt32(4), r.GetString(5), AlarmSeverities.Parse(r.GetString(6)) ?? AlarmSeverity.Minor, r.GetString(7), r.GetString(8),
        r.GetString(9), r.GetDouble(10), r.GetString(11), r.GetInt64(12), r.NullableInt64(13), r.NullableString(14), r.NullableString(15), r.NullableInt64(16),
        r.GetString(17), AlarmMessage.ParseArgs(r.GetString(18)));
}
