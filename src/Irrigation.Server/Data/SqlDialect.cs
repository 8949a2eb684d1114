using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Irrigation.Server.Data;

/// <summary>
/// The few things SQLite and PostgreSQL say differently; everything else is one SQL text that both accept (named
/// parameters as <c>@name</c>, <c>ON CONFLICT … DO NOTHING/UPDATE</c>, <c>RETURNING</c>, BIGINT 0/1 for flags,
/// <c>lower(username)</c> for case-insensitive names).
/// </summary>
public abstract class SqlDialect
{
    public static readonly SqlDialect Sqlite = new SqliteDialect();
    public static readonly SqlDialect PostgreSql = new PostgreSqlDialect();

    public abstract DatabaseProvider Provider { get; }

    internal abstract IReadOnlyList<string> Migrations { get; }

    /// <summary>The database's clock in Unix milliseconds, as an SQL expression (leases compare expiry against it).</summary>
    public abstract string NowMs { get; }

    /// <summary>
    /// Appended to a <c>SELECT … LIMIT 1</c> that picks a row to claim: PostgreSQL skips rows another transaction is
    /// claiming (so concurrent claimers take different rows instead of queueing on one); SQLite has one writer anyway.
    /// </summary>
    public abstract string SkipLocked { get; }

    /// <summary>A unique or primary key constraint refused the statement.</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>
    /// Makes the transaction the only one holding <paramref name="key"/> until it ends: appends that must see the
    /// previous append (the audit chain, plan revisions) run one at a time across every server instance. SQLite's
    /// write transactions are already serial (BEGIN IMMEDIATE), so there it does nothing.
    /// </summary>
    public abstract void Serialize(DbConnection connection, DbTransaction transaction, DatabaseLock key);

    private sealed class SqliteDialect : SqlDialect
    {
        public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

        internal override IReadOnlyList<string> Migrations => SqliteMigrations.All;

        // julianday, not unixepoch('subsec'): the latter needs SQLite 3.42.
        public override string NowMs => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

        public override string SkipLocked => "";

        public override bool IsUniqueViolation(DbException exception) =>
            exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 }; // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY

        public override void Serialize(DbConnection connection, DbTransaction transaction, DatabaseLock key)
        {
        }
    }

    private sealed class PostgreSqlDialect : SqlDialect
    {
        public override DatabaseProvider Provider => DatabaseProvider.PostgreSql;

        internal override IReadOnlyList<string> Migrations => PostgreSqlMigrations.All;

        public override string NowMs => "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)";

        public override string SkipLocked => " FOR UPDATE SKIP LOCKED";

        public override bool IsUniqueViolation(DbException exception) =>
            exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

        public override void Serialize(DbConnection connection, DbTransaction transaction, DatabaseLock key)
        {
            using var command = connection.Command("SELECT pg_advisory_xact_lock(@key)", ("@key", (long)key));
            command.Transaction = transaction;
            command.ExecuteNonQuery();
        }
    }
}

/// <summary>
/// Keys of the PostgreSQL advisory locks the server takes (per database). The high 32 bits spell "IRRI" so they do not
/// collide with another application's keys in a shared database.
/// </summary>
public enum DatabaseLock : long
{
    Migrations = 0x4952_5249_0000_0001,
    AuditChain = 0x4952_5249_0000_0002,
    PlanRevisions = 0x4952_5249_0000_0003,
    ReportArchive = 0x4952_5249_0000_0004,
}
