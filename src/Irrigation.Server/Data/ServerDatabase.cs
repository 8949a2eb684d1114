using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Irrigation.Server.Data;

/// <summary>
/// The server's own database (users, API tokens, audit trail, pump commands, alarms, plans, the notification queue,
/// leases): SQLite in the data directory for one machine, or PostgreSQL shared by several server instances
/// (<see cref="DatabaseOptions"/>). Numbered migrations, the same numbers on both engines, are applied at start-up.
/// Each operation opens a pooled connection.
/// </summary>
public sealed class ServerDatabase : IDisposable
{
    private readonly Func<DbConnection> _open;
    private readonly NpgsqlDataSource? _dataSource;

    private ServerDatabase(SqlDialect dialect, string description, Func<DbConnection> open, NpgsqlDataSource? dataSource)
    {
        Dialect = dialect;
        Description = description;
        _open = open;
        _dataSource = dataSource;
    }

    /// <summary>The SQLite file at <paramref name="path"/>: WAL mode, a busy timeout so concurrent writers wait instead of failing.</summary>
    public static ServerDatabase ForSqlite(string path)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        return new ServerDatabase(SqlDialect.Sqlite, path, () =>
        {
            var connection = new SqliteConnection(connectionString);
            connection.Open();
            Execute(connection, "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;");
            return connection;
        }, null);
    }

    /// <summary>The PostgreSQL database of <paramref name="connectionString"/>, through one pooled Npgsql data source.</summary>
    public static ServerDatabase ForPostgreSql(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var dataSource = NpgsqlDataSource.Create(builder);
        return new ServerDatabase(SqlDialect.PostgreSql, $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}", dataSource.OpenConnection, dataSource);
    }

    public SqlDialect Dialect { get; }

    /// <summary>The SQLite file's path, or host, port and database of PostgreSQL (never the password): for logs.</summary>
    public string Description { get; }

    /// <summary>
    /// Creates the schema or applies the migrations not yet applied, in one transaction. On PostgreSQL the transaction
    /// first takes an advisory lock, so of several instances starting together one migrates and the others then find
    /// the schema current.
    /// </summary>
    public void Migrate()
    {
        using var connection = Open();
        if (Dialect.Provider == DatabaseProvider.Sqlite)
            Execute(connection, "PRAGMA journal_mode = WAL;");
        using var transaction = connection.BeginTransaction();
        Dialect.Serialize(connection, transaction, DatabaseLock.Migrations);
        using (var create = connection.Command("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);"))
        {
            create.Transaction = transaction;
            create.ExecuteNonQuery();
        }

        long version;
        using (var read = connection.Command("SELECT coalesce(max(version), 0) FROM schema_version;"))
        {
            read.Transaction = transaction;
            version = Convert.ToInt64(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        var migrations = Dialect.Migrations;
        if (version > migrations.Count)
            throw new InvalidOperationException($"The database {Description} is at schema version {version}, newer than this server's {migrations.Count}: it was migrated by a newer server.");
        for (var i = (int)version; i < migrations.Count; i++)
        {
            using var migrate = connection.Command(migrations[i] + $"\nINSERT INTO schema_version (version) VALUES ({i + 1});");
            migrate.Transaction = transaction;
            migrate.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>An open pooled connection (SQLite: foreign keys on, a busy timeout).</summary>
    public DbConnection Open() => _open();

    public void Dispose() => _dataSource?.Dispose();

    private static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.Command(sql);
        command.ExecuteNonQuery();
    }
}

/// <summary>
/// Small conveniences for parameterised commands on either engine (parameters named <c>@name</c> in the SQL). A null
/// is sent without a type, so where SQL tests a parameter that may be null before anything else fixes its type
/// (<c>@s IS NULL OR station = @s</c>), it casts it (<c>CAST(@s AS TEXT) IS NULL</c>): PostgreSQL refuses a parameter
/// whose type it cannot determine; SQLite ignores the cast of a null.
/// </summary>
internal static class DbCommandExtensions
{
    public static DbCommand Command(this DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>A command in <paramref name="transaction"/> (SQLite refuses a command without it while one is open).</summary>
    public static DbCommand Command(this DbConnection connection, DbTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.Command(sql, parameters);
        command.Transaction = transaction;
        return command;
    }

    public static string? NullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? NullableInt64(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static int? NullableInt32(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static double? NullableDouble(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);
}
