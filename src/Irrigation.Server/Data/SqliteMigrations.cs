namespace Irrigation.Server.Data;

/// <summary>
/// The SQLite schema, one migration per schema_version; <see cref="PostgreSqlMigrations"/> has the same numbers with the
/// same meaning. A migration already released is never edited: a change is a new one, in both lists.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly IReadOnlyList<string> All =
    [
        // 1: users, tokens, the append-only audit trail, pump commands.
        """
        CREATE TABLE users (
            username TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            security_stamp TEXT NOT NULL,
            failed_count INTEGER NOT NULL DEFAULT 0,
            first_failure_ms INTEGER,
            locked_until_ms INTEGER,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL);
        CREATE TABLE api_tokens (
            token_hash TEXT NOT NULL PRIMARY KEY,
            username TEXT NOT NULL COLLATE NOCASE REFERENCES users(username),
            name TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL);
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts_ms INTEGER NOT NULL,
            actor TEXT,
            action TEXT NOT NULL,
            station TEXT,
            pump INTEGER,
            outcome TEXT NOT NULL,
            detail TEXT,
            address TEXT);
        CREATE INDEX audit_ts ON audit(ts_ms);
        CREATE INDEX audit_station ON audit(station, ts_ms);
        CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        CREATE TABLE commands (
            id TEXT NOT NULL PRIMARY KEY,
            idempotency_key TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            station TEXT NOT NULL,
            pump INTEGER NOT NULL,
            action TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            detail TEXT,
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            UNIQUE (requested_by, idempotency_key));
        CREATE INDEX commands_station ON commands(station, created_ms);
        -- At most one command in progress per pump, enforced by the database even with several server instances.
        CREATE UNIQUE INDEX commands_one_open_per_pump ON commands(station, pump) WHERE state IN ('pending', 'sent');
        """,

        // 2: alarms and their webhook deliveries.
        """
        CREATE TABLE alarms (
            id TEXT NOT NULL PRIMARY KEY,
            station TEXT NOT NULL,
            station_name TEXT NOT NULL,
            rule TEXT NOT NULL,
            pump INTEGER,
            key TEXT NOT NULL,
            severity TEXT NOT NULL,
            title TEXT NOT NULL,
            title_en TEXT NOT NULL,
            message TEXT NOT NULL,
            value REAL NOT NULL,
            state TEXT NOT NULL,
            raised_ms INTEGER NOT NULL,
            acknowledged_ms INTEGER,
            acknowledged_by TEXT,
            ack_comment TEXT,
            cleared_ms INTEGER);
        CREATE INDEX alarms_station ON alarms(station, raised_ms);
        CREATE INDEX alarms_raised ON alarms(raised_ms);
        -- One open alarm per station and condition: a condition that returns after clearing raises a new row.
        CREATE UNIQUE INDEX alarms_one_open ON alarms(station, key) WHERE cleared_ms IS NULL;
        CREATE TABLE alarm_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            alarm_id TEXT NOT NULL,
            event TEXT NOT NULL,
            url TEXT NOT NULL,
            format TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            ts_ms INTEGER NOT NULL,
            http_status INTEGER,
            outcome TEXT NOT NULL,
            error TEXT);
        CREATE INDEX alarm_deliveries_alarm ON alarm_deliveries(alarm_id);
        """,
        // 3: an administrator's settings per station, over the gateway configuration's.
        """
        CREATE TABLE station_settings (
            station TEXT NOT NULL PRIMARY KEY,
            name TEXT,
            site TEXT,
            water_per_kwh REAL,
            updated_ms INTEGER NOT NULL,
            updated_by TEXT NOT NULL);
        """,
        // 4: alarm messages as a code with parameters, translated by the web app (message keeps the Chinese text).
        """
        ALTER TABLE alarms ADD COLUMN message_code TEXT NOT NULL DEFAULT '';
        ALTER TABLE alarms ADD COLUMN message_args TEXT NOT NULL DEFAULT '{}';
        """,
        // 5: the audit trail as a hash chain (each entry's hash covers the one before it); older entries have none.
        """
        ALTER TABLE audit ADD COLUMN hash TEXT;
        """,
        // 6: telemetry completeness per station's sequence stream, and the ranges recorded as lost.
        """
        CREATE TABLE sequence_streams (
            station TEXT NOT NULL PRIMARY KEY,
            epoch TEXT NOT NULL,
            gateway TEXT,
            contiguous INTEGER NOT NULL,
            received TEXT NOT NULL,
            gap_since_ms INTEGER NOT NULL,
            last_request_ms INTEGER NOT NULL,
            requests INTEGER NOT NULL,
            repaired INTEGER NOT NULL,
            lost INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL);
        CREATE TABLE data_losses (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            station TEXT NOT NULL,
            epoch TEXT NOT NULL,
            gateway TEXT,
            from_seq INTEGER NOT NULL,
            to_seq INTEGER NOT NULL,
            messages INTEGER NOT NULL,
            reason TEXT NOT NULL,
            recorded_ms INTEGER NOT NULL);
        CREATE INDEX data_losses_station ON data_losses(station, recorded_ms);
        """,
        // 7: irrigation plans, every revision of them (the global sequence is the plan-set version), what each gateway was
        // sent and runs, and each scheduled run's outcome.
        """
        CREATE TABLE plans (
            id TEXT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            body TEXT NOT NULL,
            revision INTEGER NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_by TEXT NOT NULL,
            updated_ms INTEGER NOT NULL);
        CREATE TABLE plan_revisions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            plan_id TEXT NOT NULL,
            revision INTEGER NOT NULL,
            change TEXT NOT NULL,
            body TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            changed_ms INTEGER NOT NULL);
        CREATE INDEX plan_revisions_plan ON plan_revisions(plan_id, revision);
        CREATE TABLE plan_sets (
            gateway TEXT NOT NULL PRIMARY KEY,
            version INTEGER NOT NULL,
            hash TEXT NOT NULL,
            published_ms INTEGER NOT NULL,
            running_version INTEGER NOT NULL DEFAULT 0,
            status TEXT,
            reason TEXT,
            detail TEXT,
            clock_trusted INTEGER NOT NULL DEFAULT 1,
            clock_problem TEXT,
            acked_ms INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE plan_runs (
            run_id TEXT NOT NULL PRIMARY KEY,
            plan_id TEXT NOT NULL,
            plan_version INTEGER NOT NULL,
            station TEXT NOT NULL,
            pump INTEGER NOT NULL,
            gateway TEXT NOT NULL,
            planned_ms INTEGER NOT NULL,
            state TEXT NOT NULL,
            start_outcome TEXT,
            start_reason TEXT,
            start_detail TEXT,
            started_ms INTEGER,
            stop_outcome TEXT,
            stop_reason TEXT,
            stop_detail TEXT,
            stopped_ms INTEGER,
            energy_start REAL,
            energy_end REAL,
            updated_ms INTEGER NOT NULL);
        CREATE INDEX plan_runs_station ON plan_runs(station, planned_ms);
        CREATE INDEX plan_runs_plan ON plan_runs(plan_id, planned_ms);
        """,
        // 8: runs by time alone (the alarm rules and the cost estimates read the last days of every station).
        """
        CREATE INDEX plan_runs_planned ON plan_runs(planned_ms);
        """,
        // 9: the durable notification queue (SMS, voice calls, webhooks: what is still to be sent survives a restart) and
        // every attempt at an SMS or call. A job is claimed by one atomic UPDATE, so no two senders ever take the same one.
        """
        CREATE TABLE notification_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            alarm_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            event TEXT NOT NULL,
            step INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            phone TEXT,
            body TEXT NOT NULL,
            due_ms INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            claimed_ms INTEGER,
            last_error TEXT,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            UNIQUE (alarm_id, channel, event, step));
        CREATE INDEX notification_jobs_due ON notification_jobs(due_ms) WHERE state = 'pending';
        CREATE INDEX notification_jobs_sending ON notification_jobs(claimed_ms) WHERE state = 'sending';
        CREATE TABLE notification_attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id INTEGER NOT NULL,
            alarm_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            step INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            phone_masked TEXT,
            attempt INTEGER NOT NULL,
            ts_ms INTEGER NOT NULL,
            request_id TEXT,
            provider_id TEXT,
            outcome TEXT NOT NULL,
            error TEXT);
        CREATE INDEX notification_attempts_alarm ON notification_attempts(alarm_id);
        """,
        // 10: leases for work that one server instance at a time must do (LeaseStore).
        """
        CREATE TABLE leases (
            name TEXT NOT NULL PRIMARY KEY,
            owner TEXT NOT NULL,
            generation INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL);
        """,
        // 11: the keys that protect session cookies, shared by every instance on one database (SessionKeyStore).
        """
        CREATE TABLE session_keys (
            name TEXT NOT NULL PRIMARY KEY,
            xml TEXT NOT NULL,
            created_ms INTEGER NOT NULL);
        """,
        // 12: a revision per station's settings, counted up by every save; their sum is the settings' version, which
        // every instance compares to see another's change (StationSettingsStore.Refresh).
        """
        ALTER TABLE station_settings ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
        """,
        // 13: the monthly report archive, shared by every instance (ReportArchiveStore). A month is listed only once its
        // row in report_months is there; its files and that row are written in one transaction.
        """
        CREATE TABLE report_months (
            period TEXT NOT NULL PRIMARY KEY,
            files INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            source TEXT NOT NULL);
        CREATE TABLE report_files (
            period TEXT NOT NULL REFERENCES report_months(period) ON DELETE CASCADE,
            file TEXT NOT NULL,
            position INTEGER NOT NULL,
            scope TEXT NOT NULL,
            subject TEXT NOT NULL,
            name TEXT NOT NULL,
            content_type TEXT NOT NULL,
            content BLOB NOT NULL,
            bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (period, file));
        """,
        // 14: the SL 651 uplink's store-and-forward queue and serial numbers per station, so the next leading instance
        // sends what the last one left and goes on with its serials (UplinkQueueStore).
        """
        CREATE TABLE uplink_serials (
            station TEXT NOT NULL PRIMARY KEY,
            serial INTEGER NOT NULL);
        CREATE TABLE uplink_frames (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            station TEXT NOT NULL,
            serial INTEGER NOT NULL,
            frame BLOB NOT NULL,
            bytes INTEGER NOT NULL,
            queued_ms INTEGER NOT NULL);
        CREATE INDEX uplink_frames_station ON uplink_frames(station, id);
        """,
    ];
}
