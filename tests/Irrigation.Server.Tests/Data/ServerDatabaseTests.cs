using Irrigation.Server.Data;
using Microsoft.Data.Sqlite;

namespace Irrigation.Server.Tests.Data;

/// <summary>One schema on two engines: the same tables and columns at the same schema_version, and migrations that several instances may start at once.</summary>
public sealed class ServerDatabaseTests : IDisposable
{
    private readonly ScratchDirectory _directory = new("server-database");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    [Fact]
    public async Task Migrate_BothEngines_SameTablesAndColumns_SameVersion()
    {
        using var sqlite = ServerDatabase.ForSqlite(_directory.File("irrigation.db"));
        using var postgres = ServerDatabase.ForPostgreSql(await (await PostgresServer.SharedAsync()).CreateDatabaseAsync("schema"));
        sqlite.Migrate();
        postgres.Migrate();

        var sqliteColumns = Rows(sqlite, "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'");
        var postgresColumns = Rows(postgres, "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'");
        Assert.Equal(sqliteColumns.Order(StringComparer.Ordinal), postgresColumns.Order(StringComparer.Ordinal));
        Assert.Contains("leases.generation", postgresColumns);
        Assert.Equal(Rows(sqlite, "SELECT max(version) FROM schema_version"), Rows(postgres, "SELECT max(version) FROM schema_version"));

        // The rules the database enforces for several instances exist on both: partial unique indexes.
        string[] partial = ["commands_one_open_per_pump", "alarms_one_open"];
        Assert.Equal(partial, Rows(sqlite, "SELECT name FROM sqlite_master WHERE type = 'index'").Intersect(partial));
        Assert.Equal(partial, Rows(postgres, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'").Intersect(partial));
    }

    [Fact]
    public async Task Migrate_InstancesStartingTogetherOnPostgreSql_OneMigrates_AllFindItCurrent()
    {
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync("migrate");
        var instances = Enumerable.Range(0, 4).Select(_ => ServerDatabase.ForPostgreSql(connectionString)).ToList();
        try
        {
            using var start = new Barrier(instances.Count);
            await Task.WhenAll(instances.Select(database => Task.Run(() =>
            {
                start.SignalAndWait();
                database.Migrate();
            })));
            var versions = Rows(instances[0], "SELECT version FROM schema_version ORDER BY version");
            Assert.Equal(Enumerable.Range(1, 14).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)), versions);
        }
        finally
        {
            foreach (var database in instances)
                database.Dispose();
        }
    }

    [Fact]
    public void Options_Validate_DefaultSqlite_PostgreSqlNeedsAUsableConnectionString()
    {
        new DatabaseOptions().Validate();
        new DatabaseOptions { Provider = DatabaseProvider.PostgreSql, ConnectionString = "Host=127.0.0.1;Port=5432;Database=irrigation;Username=irrigation" }.Validate();
        Assert.Contains("ConnectionString is required", Assert.Throws<ArgumentException>(() => new DatabaseOptions { Provider = DatabaseProvider.PostgreSql }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("names no Database", Assert.Throws<ArgumentException>(() => new DatabaseOptions { Provider = DatabaseProvider.PostgreSql, ConnectionString = "Host=db1" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("not a valid Npgsql connection string", Assert.Throws<ArgumentException>(() => new DatabaseOptions { Provider = DatabaseProvider.PostgreSql, ConnectionString = "Hots=db1" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("is for PostgreSql", Assert.Throws<ArgumentException>(() => new DatabaseOptions { ConnectionString = "Data Source=x.db" }.Validate()).Message, StringComparison.Ordinal);
    }

    private static List<string> Rows(ServerDatabase database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return rows;
    }
}
