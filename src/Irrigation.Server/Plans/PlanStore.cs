using System.Buffers;
using System.Text;
using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Server.Data;
using System.Data.Common;

namespace Irrigation.Server.Plans;

/// <summary>A stored plan with who made and last changed it.</summary>
public sealed record StoredPlan(IrrigationPlan Plan, string CreatedBy, long CreatedAt, string UpdatedBy, long UpdatedAt);

/// <summary>One revision of a plan: what changed, by whom, and the plan as it was then.</summary>
public sealed record PlanRevision(long Seq, string PlanId, long Revision, string Change, string ChangedBy, long ChangedAt, IrrigationPlan? Plan);

/// <summary>What a gateway was sent and what it says it runs.</summary>
public sealed record PlanSetState(string Gateway, long Version, long PublishedAt, long RunningVersion, string? Status, string? Reason, string? Detail, bool ClockTrusted, string? ClockProblem, long AckedAt)
{
    /// <summary>The gateway runs an older set than the one it was sent (or has not answered yet).</summary>
    public bool Behind => RunningVersion < Version;
}

/// <summary>One scheduled run as the server saw its results.</summary>
public sealed record PlanRunView(
    string RunId, string PlanId, long PlanVersion, string Station, int Pump, string Gateway, long PlannedAt, string State,
    string? StartOutcome, string? StartReason, string? StartDetail, long? StartedAt,
    string? StopOutcome, string? StopReason, string? StopDetail, long? StoppedAt, double? EnergyStart, double? EnergyEnd, long UpdatedAt)
{
    public double? EnergyKwh => EnergyStart is { } a && EnergyEnd is { } b && b >= a ? Math.Round(b - a, 3) : null;
}

/// <summary>States of a scheduled run on the server.</summary>
public static class PlanRunStates
{
    /// <summary>Started and confirmed by feedback; not stopped yet.</summary>
    public const string Running = "running";

    /// <summary>Ran and was stopped at its planned end.</summary>
    public const string Completed = "completed";

    /// <summary>Ended early by an operator's stop.</summary>
    public const string EndedByOperator = "ended_by_operator";

    /// <summary>Not executed: clock, operator's hold, gateway down, already running by hand, busy.</summary>
    public const string Missed = "missed";

    /// <summary>The start was refused by an interlock or failed (no feedback, write failed, expired).</summary>
    public const string Refused = "refused";

    /// <summary>The planned stop failed: the pump may still run.</summary>
    public const string StopFailed = "stop_failed";

    public static bool NotExecuted(string state) => state is Missed or Refused;
}

/// <summary>
/// Plans in the server database (migration 7). Every change adds a row to <c>plan_revisions</c>; its sequence number is the version
/// of the plan sets the gateways are sent, so a version only grows.
/// </summary>
public sealed class PlanStore
{
    private readonly ServerDatabase _database;

    public PlanStore(ServerDatabase database) => _database = database;

    public static string Json(IrrigationPlan plan)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            PlanSetPayload.WritePlan(json, plan);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static IrrigationPlan? Parse(string body)
    {
        using var document = JsonDocument.Parse(body);
        return PlanSetPayload.ReadPlan(document.RootElement, out _);
    }

    /// <summary>The newest change's sequence number (0 before any plan): the version of every plan set sent after it.</summary>
    public long Version()
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT coalesce(max(seq), 0) FROM plan_revisions");
        return (long)select.ExecuteScalar()!;
    }

    /// <summary>
    /// The plans as last read, with the plan-set version they were read at (parsing checks every plan's rules: not on
    /// every call). Read again when the version moved — also by a change another server instance made in a shared
    /// database, which this instance's own edits would otherwise never learn of.
    /// </summary>
    private (long Version, IReadOnlyList<StoredPlan> Plans)? _cache;
    private readonly Lock _cacheLock = new();

    public IReadOnlyList<StoredPlan> All()
    {
        var version = Version();
        lock (_cacheLock)
        {
            if (_cache is not { } cached || cached.Version != version)
                _cache = cached = (version, ReadAll());
            return cached.Plans;
        }
    }

    private void Forget()
    {
        lock (_cacheLock)
            _cache = null;
    }

    private List<StoredPlan> ReadAll()
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT body, created_by, created_ms, updated_by, updated_ms FROM plans WHERE deleted = 0 ORDER BY name, id");
        using var reader = select.ExecuteReader();
        var list = new List<StoredPlan>();
        while (reader.Read())
        {
            if (Parse(reader.GetString(0)) is { } plan)
                list.Add(new StoredPlan(plan, reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4)));
        }

        return list;
    }

    public StoredPlan? Get(string id) => All().FirstOrDefault(p => p.Plan.Id == id);

    /// <summary>Saves a new plan (revision 1) or a change (revision + 1) in one transaction with its revision row; the stored plan.</summary>
    public IrrigationPlan Save(IrrigationPlan plan, string change, string user, long nowMs, bool created)
    {
        ArgumentNullException.ThrowIfNull(plan);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        _database.Dialect.Serialize(connection, transaction, DatabaseLock.PlanRevisions);
        long revision = 1;
        if (!created)
        {
            // The revision is counted up by the UPDATE itself (which also locks the row), never read and written back.
            using var bump = connection.Command(transaction, "UPDATE plans SET revision = revision + 1 WHERE id = @id AND deleted = 0 RETURNING revision", ("@id", plan.Id));
            revision = bump.ExecuteScalar() is long bumped ? bumped : throw new KeyNotFoundException(plan.Id);
        }

        var saved = plan with { Revision = revision };
        var body = Json(saved);
        var sql = created
            ? "INSERT INTO plans (id, name, body, revision, created_by, created_ms, updated_by, updated_ms) VALUES (@id, @name, @body, @rev, @user, @now, @user, @now)"
            : "UPDATE plans SET name = @name, body = @body, updated_by = @user, updated_ms = @now WHERE id = @id";
        using (var write = connection.Command(transaction, sql, ("@id", plan.Id), ("@name", plan.Name), ("@body", body), ("@rev", revision), ("@user", user), ("@now", nowMs)))
            write.ExecuteNonQuery();

        AddRevision(connection, transaction, plan.Id, revision, change, body, user, nowMs);
        transaction.Commit();
        Forget();
        return saved;
    }

    /// <summary>Marks a plan deleted (kept for its runs and revisions); false when there is no such plan.</summary>
    public bool Delete(string id, string user, long nowMs)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        _database.Dialect.Serialize(connection, transaction, DatabaseLock.PlanRevisions);
        string body;
        long revision;
        using (var delete = connection.Command(transaction,
                   "UPDATE plans SET deleted = 1, revision = revision + 1, updated_by = @user, updated_ms = @now WHERE id = @id AND deleted = 0 RETURNING body, revision",
                   ("@id", id), ("@user", user), ("@now", nowMs)))
        using (var reader = delete.ExecuteReader())
        {
            if (!reader.Read())
                return false;
            body = reader.GetString(0);
            revision = reader.GetInt64(1);
        }

        AddRevision(connection, transaction, id, revision, "deleted", body, user, nowMs);
        transaction.Commit();
        Forget();
        return true;
    }

    /// <summary>
    /// The revision row; its seq is the plan-set version. Callers hold <see cref="DatabaseLock.PlanRevisions"/> to the
    /// commit, so on PostgreSQL, where an identity value is taken at insert and becomes visible only at commit, a
    /// reader never sees seq N+1 before seq N: a version, once read, already covers every change numbered below it.
    /// </summary>
    private static void AddRevision(DbConnection connection, DbTransaction transaction, string id, long revision, string change, string body, string user, long nowMs)
    {
        using var insert = connection.Command(transaction, "INSERT INTO plan_revisions (plan_id, revision, change, body, changed_by, changed_ms) VALUES (@id, @rev, @change, @body, @user, @now)",
            ("@id", id), ("@rev", revision), ("@change", change), ("@body", body), ("@user", user), ("@now", nowMs));
        insert.ExecuteNonQuery();
    }

    public IReadOnlyList<PlanRevision> Revisions(string id)
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT seq, plan_id, revision, change, changed_by, changed_ms, body FROM plan_revisions WHERE plan_id = @id ORDER BY seq DESC LIMIT 200", ("@id", id));
        using var reader = select.ExecuteReader();
        var list = new List<PlanRevision>();
        while (reader.Read())
            list.Add(new PlanRevision(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5), Parse(reader.GetString(6))));
        return list;
    }

    // ---- Plan sets ---------------------------------------------------------------------------------------------------

    public IReadOnlyList<PlanSetState> Sets()
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT gateway, version, published_ms, running_version, status, reason, detail, clock_trusted, clock_problem, acked_ms FROM plan_sets ORDER BY gateway");
        using var reader = select.ExecuteReader();
        var list = new List<PlanSetState>();
        while (reader.Read())
        {
            list.Add(new PlanSetState(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.NullableString(4), reader.NullableString(5),
                reader.NullableString(6), reader.GetInt64(7) != 0, reader.NullableString(8), reader.GetInt64(9)));
        }

        return list;
    }

    /// <summary>The hash of the set last sent to the gateway (null: never sent).</summary>
    public string? SentHash(string gateway)
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT hash FROM plan_sets WHERE gateway = @g", ("@g", gateway));
        return select.ExecuteScalar() as string;
    }

    public void Sent(string gateway, long version, string hash, long nowMs)
    {
        using var connection = _database.Open();
        using var upsert = connection.Command(
            "INSERT INTO plan_sets (gateway, version, hash, published_ms) VALUES (@g, @v, @h, @now) ON CONFLICT (gateway) DO UPDATE SET version = excluded.version, hash = excluded.hash, published_ms = excluded.published_ms",
            ("@g", gateway), ("@v", version), ("@h", hash), ("@now", nowMs));
        upsert.ExecuteNonQuery();
    }

    /// <summary>Records a gateway's answer (at the gateway's time); false when the gateway was never sent a set by this server.</summary>
    public bool Acknowledged(PlanAppliedMessage applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        using var connection = _database.Open();
        using var update = connection.Command(
            "UPDATE plan_sets SET running_version = @run, status = @st, reason = @r, detail = @d, clock_trusted = @ct, clock_problem = @cp, acked_ms = @now WHERE gateway = @g",
            ("@g", applied.Gateway), ("@run", applied.RunningVersion), ("@st", applied.Status), ("@r", applied.Reason), ("@d", applied.Detail),
            ("@ct", applied.ClockTrusted ? 1 : 0), ("@cp", applied.ClockProblem), ("@now", applied.Ts));
        return update.ExecuteNonQuery() == 1;
    }

    // ---- Runs --------------------------------------------------------------------------------------------------------

    /// <summary>The most runs one query returns (two days of 200 stations with several runs each fit).</summary>
    public const int MaxRuns = 20_000;

    private const string RunColumns = "run_id, plan_id, plan_version, station, pump, gateway, planned_ms, state, start_outcome, start_reason, start_detail, started_ms, stop_outcome, stop_reason, stop_detail, stopped_ms, energy_start, energy_end, updated_ms";

    public PlanRunView? Run(string runId)
    {
        using var connection = _database.Open();
        using var select = connection.Command($"SELECT {RunColumns} FROM plan_runs WHERE run_id = @id", ("@id", runId));
        using var reader = select.ExecuteReader();
        return reader.Read() ? ReadRun(reader) : null;
    }

    public void SaveRun(PlanRunView run)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var connection = _database.Open();
        using var upsert = connection.Command(
            $"""
            INSERT INTO plan_runs ({RunColumns}) VALUES (@id, @plan, @ver, @st, @pump, @gw, @planned, @state, @so, @sr, @sd, @sa, @xo, @xr, @xd, @xa, @es, @ee, @up)
            ON CONFLICT (run_id) DO UPDATE SET plan_id = excluded.plan_id, plan_version = excluded.plan_version, station = excluded.station, pump = excluded.pump,
                gateway = excluded.gateway, planned_ms = excluded.planned_ms, state = excluded.state, start_outcome = excluded.start_outcome,
                start_reason = excluded.start_reason, start_detail = excluded.start_detail, started_ms = excluded.started_ms, stop_outcome = excluded.stop_outcome,
                stop_reason = excluded.stop_reason, stop_detail = excluded.stop_detail, stopped_ms = excluded.stopped_ms, energy_start = excluded.energy_start,
                energy_end = excluded.energy_end, updated_ms = excluded.updated_ms
            """,
            ("@id", run.RunId), ("@plan", run.PlanId), ("@ver", run.PlanVersion), ("@st", run.Station), ("@pump", run.Pump), ("@gw", run.Gateway), ("@planned", run.PlannedAt),
            ("@state", run.State), ("@so", run.StartOutcome), ("@sr", run.StartReason), ("@sd", run.StartDetail), ("@sa", run.StartedAt),
            ("@xo", run.StopOutcome), ("@xr", run.StopReason), ("@xd", run.StopDetail), ("@xa", run.StoppedAt), ("@es", run.EnergyStart), ("@ee", run.EnergyEnd), ("@up", run.UpdatedAt));
        upsert.ExecuteNonQuery();
    }

    /// <summary>
    /// The newest scheduled start or stop of every pump with one in the last two days, as the alarm rules read an operator's
    /// last command: (action, state as a command's: succeeded, rejected, failed, expired; a run not executed is rejected, when).
    /// </summary>
    public IReadOnlyDictionary<(string Station, int Pump), (string Action, string State, long AtMs)> LastScheduledPerPump(long nowMs)
    {
        var result = new Dictionary<(string, int), (string, string, long)>();
        foreach (var run in Runs(null, null, nowMs - 2 * 86_400_000L, nowMs + 86_400_000L, MaxRuns))
        {
            (string Action, string? Outcome, long? At) last = run.StopOutcome is not null ? ("stop", run.StopOutcome, run.StoppedAt) : ("start", run.StartOutcome, run.StartedAt);
            if (last.Outcome is null || last.At is not { } at)
                continue;
            var state = last.Outcome == CommandOutcomes.Missed ? "rejected" : last.Outcome;
            if (!result.TryGetValue((run.Station, run.Pump), out var known) || known.Item3 < at)
                result[(run.Station, run.Pump)] = (last.Action, state, at);
        }

        return result;
    }

    /// <summary>Runs, newest planned first, of a plan and/or a station, planned within [fromMs, toMs).</summary>
    public IReadOnlyList<PlanRunView> Runs(string? planId, string? station, long fromMs, long toMs, int limit)
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            $"SELECT {RunColumns} FROM plan_runs WHERE (CAST(@p AS TEXT) IS NULL OR plan_id = @p) AND (CAST(@s AS TEXT) IS NULL OR station = @s) AND planned_ms >= @from AND planned_ms < @to ORDER BY planned_ms DESC, run_id LIMIT @l",
            ("@p", planId), ("@s", station), ("@from", fromMs), ("@to", toMs), ("@l", Math.Clamp(limit, 1, MaxRuns)));
        using var reader = select.ExecuteReader();
        var list = new List<PlanRunView>();
        while (reader.Read())
            list.Add(ReadRun(reader));
        return list;
    }

    private static PlanRunView ReadRun(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetInt32(4), r.GetString(5), r.GetInt64(6), r.GetString(7),
        r.NullableString(8), r.NullableString(9), r.NullableString(10), r.NullableInt64(11), r.NullableString(12), r.NullableString(13), r.NullableString(14), r.NullableInt64(15),
        r.IsDBNull(16) ? null : r.GetDouble(16), r.IsDBNull(17) ? null : r.GetDouble(17), r.GetInt64(18));
}
