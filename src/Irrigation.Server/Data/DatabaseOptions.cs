using Irrigation.Server.Configuration;
using Npgsql;

namespace Irrigation.Server.Data;

/// <summary>Which engine holds the server database.</summary>
public enum DatabaseProvider
{
    /// <summary>One file, <c>irrigation.db</c> in the data directory: one server instance on one machine (the default).</summary>
    Sqlite,

    /// <summary>One PostgreSQL database shared by several server instances (docs/scale-out.md, "Shared state").</summary>
    PostgreSql,
}

/// <summary>
/// <c>Irrigation:Database</c>: where users, tokens, the audit trail, commands, alarms, plans, settings and the
/// notification queue live. Without this section the server uses SQLite in the data directory, as before.
/// </summary>
public sealed class DatabaseOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// PostgreSql: an Npgsql connection string (<c>Host=…;Port=…;Database=…;Username=…;Password=…</c>), required.
    /// Sqlite: must be empty; the file is always <c>irrigation.db</c> in <c>Irrigation:DataDirectory</c>.
    /// </summary>
    public string? ConnectionString { get; set; }

    public void Validate()
    {
        if (!Enum.IsDefined(Provider))
            throw new ArgumentException($"{Section}:Provider must be Sqlite or PostgreSql.");
        if (Provider == DatabaseProvider.Sqlite)
        {
            if (!string.IsNullOrWhiteSpace(ConnectionString))
                throw new ArgumentException($"{Section}:ConnectionString is for PostgreSql; the SQLite database is irrigation.db in Irrigation:DataDirectory.");
            return;
        }

        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException($"{Section}:ConnectionString is required when {Section}:Provider is PostgreSql.");
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{Section}:ConnectionString is not a valid Npgsql connection string: {ex.Message}", ex);
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new ArgumentException($"{Section}:ConnectionString names no Host.");
        if (string.IsNullOrWhiteSpace(builder.Database))
            throw new ArgumentException($"{Section}:ConnectionString names no Database.");
    }
}
