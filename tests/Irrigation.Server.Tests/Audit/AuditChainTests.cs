using Irrigation.Server.Audit;
using Irrigation.Server.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Server.Tests;

/// <summary>
/// The audit trail is a hash chain: whoever edits the SQLite file past its triggers — changes an entry, removes one,
/// slips one in — is found by <c>irrigation-server verify-audit</c>, which names the first entry that does not match.
/// </summary>
public sealed class AuditChainTests : IDisposable
{
    private readonly ScratchDirectory _directory = new("audit-chain");
    private readonly ServerDatabase _database;
    private readonly AuditLog _audit;

    public AuditChainTests()
    {
        _database = new ServerDatabase(_directory.File("irrigation.db"));
        _database.Migrate();
        _audit = new AuditLog(_database, TimeProvider.System, NullLogger<AuditLog>.Instance);
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>What someone with the file (and sqlite3) could do: drop the triggers and edit.</summary>
    private void Tamper(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_database.Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"DROP TRIGGER IF EXISTS audit_append_only_update; DROP TRIGGER IF EXISTS audit_append_only_delete; {sql}";
        command.ExecuteNonQuery();
    }

    private void WriteFive()
    {
        for (var i = 1; i <= 5; i++)
            _audit.Write("operator", "command.request", "accepted", "st001", 1, $"c{i} start", "127.0.0.1");
    }

    [Fact]
    public void Untouched_IsIntact_EachHashCoversTheOneBefore()
    {
        WriteFive();
        var result = _audit.Verify();
        Assert.True(result.Intact, result.Reason);
        Assert.Equal((5L, 0L), (result.Chained, result.BeforeChain));
        // The first entry's hash is SHA-256 of ["", ts, actor, …] — recomputable by anyone from the documented form.
        var first = _audit.Query(null, null, null, 10).Single(e => e.Detail == "c1 start");
        Assert.Equal(64, AuditLog.Hash(AuditLog.Genesis, first.Ts, first.Actor, first.Action, first.Station, first.Pump, first.Outcome, first.Detail, first.Address).Length);
    }

    [Fact]
    public void ChangedEntry_NamedAsTheFirstBad()
    {
        WriteFive();
        Tamper("UPDATE audit SET detail = 'c3 stop' WHERE id = 3;");
        var result = _audit.Verify();
        Assert.False(result.Intact);
        Assert.Equal(3, result.FirstBad!.Id);
        Assert.Equal(2, result.Chained);
    }

    [Fact]
    public void RemovedEntry_TheOneAfterItIsNamed()
    {
        WriteFive();
        Tamper("DELETE FROM audit WHERE id = 2;");
        var result = _audit.Verify();
        Assert.Equal(3, result.FirstBad!.Id);
        Assert.Contains("removed", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EntrySlippedInWithoutAHash_Named()
    {
        WriteFive();
        Tamper("INSERT INTO audit (ts_ms, actor, action, outcome) VALUES (1, 'intruder', 'command.request', 'accepted');");
        var result = _audit.Verify();
        Assert.Equal(6, result.FirstBad!.Id);
        Assert.Contains("no hash", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EntriesFromBeforeTheChain_CountedNotBlamed()
    {
        Tamper("INSERT INTO audit (ts_ms, actor, action, outcome) VALUES (1, 'old', 'auth.login', 'succeeded');");
        WriteFive();
        var result = _audit.Verify();
        Assert.True(result.Intact, result.Reason);
        Assert.Equal((5L, 1L), (result.Chained, result.BeforeChain));
    }

    [Fact]
    public async Task ConcurrentWriters_OneChain()
    {
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
                _audit.Write($"user{w}", "auth.login", "succeeded");
        })));
        var result = _audit.Verify();
        Assert.True(result.Intact, result.Reason);
        Assert.Equal(200, result.Chained);
    }

    [Fact]
    public async Task VerifyAuditCommand_RealProcess_Exit0Intact_Exit1NamingTheEntry()
    {
        WriteFive();
        var (intact, intactOutput) = await RunVerifyAsync();
        Assert.True(intact == 0, intactOutput);
        Assert.Contains("audit trail intact: 5 entries chained", intactOutput, StringComparison.Ordinal);

        Tamper("UPDATE audit SET actor = 'someone-else' WHERE id = 4;");
        var (broken, brokenOutput) = await RunVerifyAsync();
        Assert.True(broken == 1, brokenOutput);
        Assert.Contains("audit entry 4 (", brokenOutput, StringComparison.Ordinal);
        Assert.Contains("by someone-else) does not match the chain", brokenOutput, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Output)> RunVerifyAsync()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["Irrigation__DataDirectory"] = _directory.Path };
        await using var process = ManagedProcess.Start("irrigation-server", RepoPaths.Server, ["verify-audit"], environment: environment, workingDirectory: _directory.Path);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exitCode, process.Output);
    }
}
