using Irrigation.Server.Data;
using Microsoft.Data.Sqlite;

namespace Irrigation.Server.Tests.Data;

/// <summary>
/// The base of every store test class that must hold on both engines: the tests are written once in an abstract class
/// deriving from this, and two nested sealed classes run them, one on a fresh SQLite file and one on a fresh database of
/// the test process's PostgreSQL server (<see cref="PostgresServer.SharedAsync"/>). Filter on the abstract class's
/// name to run both.
/// </summary>
public abstract class EngineTests : IAsyncLifetime, IDisposable
{
    private readonly List<ServerDatabase> _opened = [];
    private ScratchDirectory? _directory;
    private string? _connectionString;
    private ServerDatabase? _database;

    protected EngineTests(DatabaseProvider provider) => Provider = provider;

    protected DatabaseProvider Provider { get; }

    /// <summary>The database of this test, migrated.</summary>
    protected ServerDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync has not run.");

    /// <summary>For the server process: the environment that points it at this test's database.</summary>
    protected IDictionary<string, string> ServerEnvironment(string dataDirectory) => Provider == DatabaseProvider.Sqlite
        ? new Dictionary<string, string>(StringComparer.Ordinal) { ["Irrigation__DataDirectory"] = _directory!.Path }
        : new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Irrigation__DataDirectory"] = dataDirectory,
            ["Irrigation__Database__Provider"] = "PostgreSql",
            ["Irrigation__Database__ConnectionString"] = _connectionString!,
        };

    public virtual async Task InitializeAsync()
    {
        if (Provider == DatabaseProvider.Sqlite)
            _directory = new ScratchDirectory(GetType().DeclaringType?.Name ?? GetType().Name);
        else
            _connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync(GetType().DeclaringType?.Name ?? GetType().Name);
        _database = Reopen();
        _database.Migrate();
    }

    /// <summary>Another database object on the same storage: a restart, or a second server instance with its own connections.</summary>
    protected ServerDatabase Reopen()
    {
        var database = Provider == DatabaseProvider.Sqlite ? ServerDatabase.ForSqlite(_directory!.File("irrigation.db")) : ServerDatabase.ForPostgreSql(_connectionString!);
        lock (_opened)
            _opened.Add(database);
        return database;
    }

    /// <summary>Runs SQL past the stores (what someone with the database's password or file could do); the first column of the first row.</summary>
    protected object? Execute(string sql)
    {
        using var connection = Database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        foreach (var database in _opened)
            database.Dispose();
        if (_directory is not null)
        {
            SqliteConnection.ClearAllPools();
            _directory.Dispose();
        }
    }
}
