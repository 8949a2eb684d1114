using System.Globalization;
using Npgsql;

namespace Irrigation.Testing;

/// <summary>
/// A real PostgreSQL (Debian <c>postgresql</c>) on 127.0.0.1 for tests: a throw-away cluster (initdb) in a temp
/// directory, started once per test assembly (<see cref="SharedAsync"/>) and killed when the test process exits; each
/// test gets a fresh database of its own (<see cref="CreateDatabaseAsync"/>). PostgreSQL refuses to run as root, so
/// under root initdb and the server run as the <c>postgres</c> user (runuser) in a directory given to that user.
/// Durability is off (fsync, synchronous_commit): a test cluster is never recovered. A missing PostgreSQL fails the
/// test with the package to install, never a skip.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<Task<PostgresServer>> s_shared = new(StartSharedAsync);
    private readonly string _directory;
    private readonly ManagedProcess _process;

    private PostgresServer(string directory, int port, ManagedProcess process)
    {
        _directory = directory;
        Port = port;
        _process = process;
    }

    public int Port { get; }

    /// <summary>What the server logged so far, for failure messages.</summary>
    public string Log => _process.Output;

    /// <summary>The superuser's connection string to <paramref name="database"/> (trust authentication on loopback).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        // Small pools: every test database has its own, and they share max_connections.
        MaxPoolSize = 10,
        Timeout = 30,
    }.ConnectionString;

    /// <summary>The one server of this test process, started on first use.</summary>
    public static Task<PostgresServer> SharedAsync() => s_shared.Value;

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var server = await StartAsync();
        // No assembly fixture in xunit 2: the process's exit ends the server (and its backends) and removes its files.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Kill();
        return server;
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinaries();
        var directory = Path.Combine(Path.GetTempPath(), "irrigation-postgres-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
            await RunAsync("chown", ["postgres:postgres", directory]);
        var data = Path.Combine(directory, "data");
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], asRoot);

        var port = FreePort.Next();
        string[] arguments =
        [
            "-D", data, "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-k", directory,
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
            "-c", "shared_buffers=32MB", "-c", "log_min_messages=warning",
        ];
        var process = asRoot
            ? ManagedProcess.Start("postgres", "runuser", ["-u", "postgres", "--", Path.Combine(bin, "postgres"), .. arguments])
            : ManagedProcess.Start("postgres", Path.Combine(bin, "postgres"), arguments);
        var server = new PostgresServer(directory, port, process);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new empty database with a unique name; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{new string(prefix.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())}_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"postgres exited at start:\n{_process.Output}");
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static string FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        var versions = Directory.Exists(root)
            ? Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "bin", "postgres"))).OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).ToList()
            : [];
        return versions.Count > 0
            ? Path.Combine(versions[0], "bin")
            : throw new InvalidOperationException("PostgreSQL is required for this test and was not found under /usr/lib/postgresql. Install it with: apt-get install -y postgresql (./test.sh does this).");
    }

    private static async Task RunAsync(string fileName, string[] arguments, bool asPostgres = false)
    {
        await using var result = await ManagedProcess.RunAsync(asPostgres ? "runuser" : fileName, asPostgres ? ["-u", "postgres", "--", fileName, .. arguments] : arguments, TimeSpan.FromSeconds(120));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} failed ({result.ExitCode}):\n{result.Output}");
    }

    private void Kill()
    {
        _process.KillTree();
        DeleteDirectory();
    }

    private void DeleteDirectory()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            System.Diagnostics.Trace.WriteLine($"could not delete {_directory}: {ex.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(10));
        await _process.DisposeAsync();
        DeleteDirectory();
    }
}
