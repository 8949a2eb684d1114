using Irrigation.Server.Data;
using System.Data.Common;

namespace Irrigation.Server.Notifications;

/// <summary>A notification to send: an SMS or voice call of an escalation step, or a webhook delivery of an alarm event.</summary>
public sealed record NotificationJob(
    long Id, string AlarmId, string Channel, string Event, int Step, string Recipient, string? Phone, string Body, long DueMs, string State, int Attempts);

/// <summary>A job as the API shows it: the phone masked, never the body (it may carry a robot's message to a private group).</summary>
public sealed record NotificationStepView(long Id, string Channel, string Event, int Step, string Recipient, string? Phone, long DueAt, string State, int Attempts, string? LastError);

/// <summary>One attempt at an SMS or a voice call: who, the masked number, the provider's request and message ids, the outcome.</summary>
public sealed record NotificationAttemptView(
    long Id, long JobId, string Channel, int Step, string Recipient, string? Phone, int Attempt, long At, string? RequestId, string? ProviderId, string Outcome, string? Error);

/// <summary>States of a job: pending (waits for its due time), sending (claimed by a sender), and the final ones.</summary>
public static class JobStates
{
    public const string Pending = "pending";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    /// <summary>A send cut off by a crash: the provider may have taken it, so an SMS or call is not sent again.</summary>
    public const string Interrupted = "interrupted";
}

/// <summary>
/// The durable notification queue in the server database: jobs wait here (not in memory) until due, so a restart loses none;
/// <see cref="ClaimDue"/> takes a due job with one atomic UPDATE, so no job is ever handed to two senders.
/// </summary>
public sealed class NotificationQueue
{
    private const string JobColumns = "id, alarm_id, channel, event, step, recipient, phone, body, due_ms, state, attempts";

    /// <summary>Once a job is done its number is no longer needed: it is kept masked (138****0001), as the API shows it.</summary>
    private const string MaskPhone = "phone = CASE WHEN length(phone) >= 8 THEN substr(phone, 1, 3) || '****' || substr(phone, length(phone) - 3) ELSE phone END";
    private readonly ServerDatabase _database;

    public NotificationQueue(ServerDatabase database) => _database = database;

    /// <summary>Adds jobs in one transaction; one already queued for the same alarm, channel, event and step is left as it is (false).</summary>
    public int Enqueue(IEnumerable<(string AlarmId, string Channel, string Event, int Step, string Recipient, string? Phone, string Body, long DueMs)> jobs, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        var added = 0;
        foreach (var job in jobs)
        {
            using var insert = connection.Command(
                """
                INSERT INTO notification_jobs (alarm_id, channel, event, step, recipient, phone, body, due_ms, state, attempts, created_ms, updated_ms)
                VALUES (@a, @c, @e, @s, @r, @p, @b, @due, 'pending', 0, @now, @now) ON CONFLICT DO NOTHING
                """,
                ("@a", job.AlarmId), ("@c", job.Channel), ("@e", job.Event), ("@s", job.Step), ("@r", job.Recipient), ("@p", job.Phone), ("@b", job.Body), ("@due", job.DueMs), ("@now", nowMs));
            insert.Transaction = transaction;
            added += insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return added;
    }

    /// <summary>
    /// Takes the earliest due pending job and marks it sending, in one statement; null when none is due. The
    /// <c>state = 'pending'</c> re-check makes it atomic on both engines; on PostgreSQL the pick skips rows another
    /// instance is claiming at that moment (SKIP LOCKED), so under READ COMMITTED a concurrent claimer takes the next job
    /// instead of finding the one it waited on already taken and returning none.
    /// </summary>
    public NotificationJob? ClaimDue(long nowMs)
    {
        using var connection = _database.Open();
        using var claim = connection.Command(
            $"""
            UPDATE notification_jobs SET state = 'sending', attempts = attempts + 1, claimed_ms = @now, updated_ms = @now
            WHERE id = (SELECT id FROM notification_jobs WHERE state = 'pending' AND due_ms <= @now ORDER BY due_ms, id LIMIT 1{_database.Dialect.SkipLocked}) AND state = 'pending'
            RETURNING {JobColumns}
            """,
            ("@now", nowMs));
        using var reader = claim.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>The job went (sent), was given up (failed) or is no longer wanted (cancelled).</summary>
    public void Finish(long id, string state, string? error, long nowMs)
    {
        using var connection = _database.Open();
        using var update = connection.Command($"UPDATE notification_jobs SET state = @st, last_error = @err, updated_ms = @now, {MaskPhone} WHERE id = @id AND state = 'sending'",
            ("@id", id), ("@st", state), ("@err", Cut(error)), ("@now", nowMs));
        update.ExecuteNonQuery();
    }

    /// <summary>A failed attempt with attempts left: back to pending, due again at <paramref name="retryAtMs"/>.</summary>
    public void Retry(long id, string error, long retryAtMs, long nowMs)
    {
        using var connection = _database.Open();
        using var update = connection.Command("UPDATE notification_jobs SET state = 'pending', due_ms = @due, last_error = @err, updated_ms = @now WHERE id = @id AND state = 'sending'",
            ("@id", id), ("@due", retryAtMs), ("@err", Cut(error)), ("@now", nowMs));
        update.ExecuteNonQuery();
    }

    /// <summary>Cancels an alarm's pending jobs of the given channels (acknowledged: the escalation stops); returns how many.</summary>
    public int CancelPending(string alarmId, IReadOnlyList<string> channels, string reason, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(channels);
        using var connection = _database.Open();
        if (channels.Count == 0)
            return 0;
        var names = string.Join(", ", channels.Select((_, i) => $"@c{i}"));
        var parameters = new List<(string, object?)> { ("@a", alarmId), ("@why", reason), ("@now", nowMs) };
        parameters.AddRange(channels.Select((c, i) => ($"@c{i}", (object?)c)));
        using var update = connection.Command(
            $"UPDATE notification_jobs SET state = 'cancelled', last_error = @why, updated_ms = @now, {MaskPhone} WHERE alarm_id = @a AND state = 'pending' AND channel IN ({names})",
            [.. parameters]);
        return update.ExecuteNonQuery();
    }

    /// <summary>
    /// Jobs claimed before <paramref name="claimedBeforeMs"/> and still sending were abandoned by a crashed sender (a
    /// live one finishes within its request timeout): webhooks go again (a robot message twice is harmless), an SMS or
    /// a call is marked interrupted and not sent again (the provider may have taken it; the next step still comes).
    /// Judged by age rather than "everything at start-up", so a second server on the same database never takes over a
    /// send the first is still making. Returns the interrupted SMS and calls.
    /// </summary>
    public IReadOnlyList<NotificationJob> RecoverAbandoned(long claimedBeforeMs, long nowMs)
    {
        using var connection = _database.Open();
        using (var webhooks = connection.Command(
                   "UPDATE notification_jobs SET state = 'pending', updated_ms = @now WHERE state = 'sending' AND claimed_ms < @before AND channel = 'webhook'",
                   ("@now", nowMs), ("@before", claimedBeforeMs)))
            webhooks.ExecuteNonQuery();
        using var others = connection.Command(
            $"UPDATE notification_jobs SET state = 'interrupted', last_error = 'the sender stopped during the send; not sent again', updated_ms = @now, {MaskPhone} WHERE state = 'sending' AND claimed_ms < @before RETURNING {JobColumns}",
            ("@now", nowMs), ("@before", claimedBeforeMs));
        using var reader = others.ExecuteReader();
        var list = new List<NotificationJob>();
        while (reader.Read())
            list.Add(Read(reader));
        return list;
    }

    public void RecordAttempt(NotificationJob job, long nowMs, string? requestId, string? providerId, string outcome, string? error)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var connection = _database.Open();
        using var insert = connection.Command(
            """
            INSERT INTO notification_attempts (job_id, alarm_id, channel, step, recipient, phone_masked, attempt, ts_ms, request_id, provider_id, outcome, error)
            VALUES (@j, @a, @c, @s, @r, @p, @n, @ts, @req, @pid, @o, @err)
            """,
            ("@j", job.Id), ("@a", job.AlarmId), ("@c", job.Channel), ("@s", job.Step), ("@r", job.Recipient), ("@p", PhoneNumbers.Mask(job.Phone)), ("@n", job.Attempts),
            ("@ts", nowMs), ("@req", requestId), ("@pid", providerId), ("@o", outcome), ("@err", Cut(error)));
        insert.ExecuteNonQuery();
    }

    /// <summary>An alarm's SMS and voice steps (not its webhooks: those are its deliveries), in step order.</summary>
    public IReadOnlyList<NotificationStepView> Steps(string alarmId)
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            "SELECT id, channel, event, step, recipient, phone, due_ms, state, attempts, last_error FROM notification_jobs WHERE alarm_id = @a AND channel <> 'webhook' ORDER BY step, id",
            ("@a", alarmId));
        using var reader = select.ExecuteReader();
        var list = new List<NotificationStepView>();
        while (reader.Read())
        {
            list.Add(new NotificationStepView(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4), PhoneNumbers.Mask(reader.NullableString(5)),
                reader.GetInt64(6), reader.GetString(7), reader.GetInt32(8), reader.NullableString(9)));
        }

        return list;
    }

    public IReadOnlyList<NotificationAttemptView> Attempts(string alarmId)
    {
        using var connection = _database.Open();
        using var select = connection.Command(
            "SELECT id, job_id, channel, step, recipient, phone_masked, attempt, ts_ms, request_id, provider_id, outcome, error FROM notification_attempts WHERE alarm_id = @a ORDER BY id",
            ("@a", alarmId));
        using var reader = select.ExecuteReader();
        var list = new List<NotificationAttemptView>();
        while (reader.Read())
        {
            list.Add(new NotificationAttemptView(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4), reader.NullableString(5),
                reader.GetInt32(6), reader.GetInt64(7), reader.NullableString(8), reader.NullableString(9), reader.GetString(10), reader.NullableString(11)));
        }

        return list;
    }

    /// <summary>Jobs waiting (pending) or being sent, by channel: the queue's depth for the metrics.</summary>
    public IReadOnlyDictionary<string, int> Waiting()
    {
        using var connection = _database.Open();
        using var select = connection.Command("SELECT channel, count(*) FROM notification_jobs WHERE state IN ('pending', 'sending') GROUP BY channel");
        using var reader = select.ExecuteReader();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read())
            counts[reader.GetString(0)] = reader.GetInt32(1);
        return counts;
    }

    private static NotificationJob Read(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetString(5), r.NullableString(6), r.GetString(7), r.GetInt64(8), r.GetString(9), r.GetInt32(10));

    private static string? Cut(string? error) => error is { Length: > 500 } ? error[..500] : error;
}
