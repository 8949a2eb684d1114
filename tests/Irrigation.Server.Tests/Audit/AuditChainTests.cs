using Irrigation.Server.Audit;
using Irrigation.Server.Data;
using Irrigation.Server.Tests.Data;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Server.Tests;

/// <summary>
/// The audit trail is a hash chain: whoever edits the database past its triggers — changes an entry, removes one,
/// slips one in — is found by <c>irrigation-server verify-audit</c>, which names the first entry that does not match.
/// On both engines; on PostgreSQL several server instances append to one chain.
/// </summary>
public abstract class AuditChainTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : AuditChainTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : AuditChainTests(DatabaseProvider.PostgreSql);

    private readonly ScratchDirectory _directory = new("audit-chain");
    private AuditLog _audit = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _audit = new AuditLog(Database, TimeProvider.System, NullLogger<AuditLog>.Instance);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            _directory.Dispose();
    }

    /// <summary>What someone with the file (and sqlite3) or the database owner's password could do: get past the triggers and edit.</summary>
    private void Tamper(string sql) => Execute(Provider == DatabaseProvider.Sqlite
        ? $"DROP TRIGGER IF EXISTS audit_append_only_update; DROP TRIGGER IF EXISTS audit_append_only_delete; {sql}"
        : $"ALTER TABLE audit DISABLE TRIGGER USER; {sql}");

    [Fact]
    public void UpdateOrDelete_RefusedByTheDatabase()
    {
        WriteFive();
        Assert.ThrowsAny<System.Data.Common.DbException>(() => Execute("UPDATE audit SET detail = 'c3 stop' WHERE id = 3"));
        Assert.ThrowsAny<System.Data.Common.DbException>(() => Execute("DELETE FROM audit WHERE id = 2"));
        Assert.True(_audit.Verify().Intact);
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
    public async Task WritersInSeveralInstances_OneChain()
    {
        // Each writer its own AuditLog on its own database object: only the database keeps them from chaining onto the same entry.
        var logs = Enumerable.Range(0, 4).Select(_ => new AuditLog(Reopen(), TimeProvider.System, NullLogger<AuditLog>.Instance)).ToList();
        await Task.WhenAll(logs.Select((log, w) => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
                log.Write($"user{w}", "auth.login", "succeeded");
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
        var environment = ServerEnvironment(_directory.Path);
        await using var process = ManagedProcess.Start("irrigation-server", RepoPaths.Server, ["verify-audit"], environment: environment, workingDirectory: _directory.Path);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exitCode, process.Output);
    }
}
