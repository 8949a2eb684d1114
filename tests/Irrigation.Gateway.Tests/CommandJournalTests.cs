using Irrigation.Contracts;
using Irrigation.Gateway.Commands;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Gateway.Tests;

/// <summary>The on-disk journal of command ids and results: duplicates, restarts, torn writes, compaction.</summary>
public sealed class CommandJournalTests : IDisposable
{
    private const long T0 = 1763771400000;

    private readonly ScratchDirectory _directory = new("journal");

    public void Dispose() => _directory.Dispose();

    private string JournalPath => _directory.File("commands.jsonl");

    private CommandJournal Open(int capacity = 100) => new(JournalPath, capacity, NullLogger.Instance);

    private static CommandResultMessage Result(string id, string action = "start", string outcome = CommandOutcomes.Succeeded, string station = "st001", int pump = 1, long ts = T0, string? reason = null) =>
        new(id, station, pump, action, outcome, reason, "detail", "zhangsan", ts, "gw-01");

    private static void Run(CommandJournal journal, CommandResultMessage result)
    {
        Assert.True(journal.TryBegin(result.Id, out _));
        journal.Complete(result);
    }

    [Fact]
    public void TryBegin_NewId_ClaimedWithoutEarlierResult()
    {
        using var journal = Open();

        Assert.True(journal.TryBegin("c-1", out var earlier));
        Assert.Null(earlier);
    }

    [Fact]
    public void TryBegin_CompletedId_FalseWithTheFirstResult()
    {
        using var journal = Open();
        var first = Result("c-1", reason: CommandReasons.AlreadyInState);
        Run(journal, first);

        Assert.False(journal.TryBegin("c-1", out var earlier));
        Assert.Equal(first, earlier);
        Assert.Equal(1, journal.Count);
    }

    [Fact]
    public void TryBegin_IdInProgress_FalseWithoutResult()
    {
        using var journal = Open();
        Assert.True(journal.TryBegin("c-1", out _));

        Assert.False(journal.TryBegin("c-1", out var earlier));
        Assert.Null(earlier);

        journal.Complete(Result("c-1"));
        Assert.False(journal.TryBegin("c-1", out earlier));
        Assert.NotNull(earlier);
    }

    [Fact]
    public void Open_ExistingFile_ResultsAndLastStartsReloaded()
    {
        var first = Result("c-1", ts: T0);
        var second = Result("c-2", action: "stop", ts: T0 + 5000);
        using (var journal = Open())
        {
            Run(journal, first);
            Run(journal, second);
        }

        using var reopened = Open();

        Assert.Equal(2, reopened.Count);
        Assert.False(reopened.TryBegin("c-1", out var earlier));
        Assert.Equal(first, earlier);
        Assert.False(reopened.TryBegin("c-2", out earlier));
        Assert.Equal(second, earlier);
        Assert.Equal(T0, reopened.LastStart("st001", 1));
    }

    [Fact]
    public void Open_TornLastLine_SkippedAndLaterResultsSurviveTheNextRestart()
    {
        using (var journal = Open())
        {
            Run(journal, Result("c-1"));
            Run(journal, Result("c-2"));
        }

        // kill -9 in the middle of a write: the last line stops part way.
        File.AppendAllText(JournalPath, """{"id":"c-3","station":"st0""");

        using (var journal = Open())
        {
            Assert.Equal(2, journal.Count);
            Assert.True(journal.TryBegin("c-3", out var earlier));
            Assert.Null(earlier);
            journal.Complete(Result("c-3", action: "stop"));
        }

        using var reopened = Open();

        Assert.Equal(3, reopened.Count);
        Assert.False(reopened.TryBegin("c-3", out var result));
        Assert.Equal("stop", result!.Action);
    }

    [Fact]
    public void Open_EmptyAndCorruptLines_Skipped()
    {
        File.WriteAllLines(JournalPath, ["", "not json", """{"id":"c-1","station":"st001","pump":1,"action":"start","outcome":"succeeded","reason":null,"detail":null,"requestedBy":"x","ts":1763771400000,"gateway":"gw-01"}"""]);

        using var journal = Open();

        Assert.Equal(1, journal.Count);
        Assert.Equal(T0, journal.LastStart("st001", 1));
    }

    [Fact]
    public void LastStart_OnlySucceededStartsCount()
    {
        using var journal = Open();
        Run(journal, Result("c-1", ts: T0));
        Run(journal, Result("c-2", outcome: CommandOutcomes.Rejected, reason: CommandReasons.LocalMode, ts: T0 + 1000));
        Run(journal, Result("c-3", outcome: CommandOutcomes.Failed, reason: CommandReasons.NoFeedback, ts: T0 + 2000));
        Run(journal, Result("c-4", outcome: CommandOutcomes.Expired, ts: T0 + 3000));
        Run(journal, Result("c-5", action: "stop", ts: T0 + 4000));
        Run(journal, Result("c-6", pump: 2, ts: T0 + 5000));
        Run(journal, Result("c-7", station: "st002", ts: T0 + 6000));

        Assert.Equal(T0, journal.LastStart("st001", 1));
        Assert.Equal(T0 + 5000, journal.LastStart("st001", 2));
        Assert.Equal(T0 + 6000, journal.LastStart("st002", 1));
        Assert.Null(journal.LastStart("st002", 2));
        Assert.Null(journal.LastStart("st003", 1));
    }

    [Fact]
    public void LastStart_AlreadyRunningStart_Counts()
    {
        // An already_in_state success means the pump runs now: a later start is still a start within the interval.
        using var journal = Open();
        Run(journal, Result("c-1", ts: T0));
        Run(journal, Result("c-2", reason: CommandReasons.AlreadyInState, ts: T0 + 1000));

        Assert.Equal(T0 + 1000, journal.LastStart("st001", 1));
    }

    [Fact]
    public void Complete_BeyondTwiceTheCapacity_FileCompactedToNewestResults()
    {
        const int capacity = 3;
        using (var journal = Open(capacity))
        {
            for (var i = 1; i <= 7; i++)
                Run(journal, Result($"c-{i}", ts: T0 + i));

            Assert.Equal(capacity, journal.Count);
            Assert.True(journal.TryBegin("c-1", out var forgotten));
            Assert.Null(forgotten);
        }

        var lines = File.ReadAllLines(JournalPath);
        Assert.Equal(["c-5", "c-6", "c-7"], lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));

        using var reopened = Open(capacity);
        Assert.Equal(capacity, reopened.Count);
        Assert.False(reopened.TryBegin("c-7", out var kept));
        Assert.Equal(T0 + 7, kept!.Ts);
        Assert.True(reopened.TryBegin("c-4", out _));
    }

    [Fact]
    public void Complete_AfterCompaction_AppendsToTheNewFile()
    {
        using (var journal = Open(capacity: 2))
        {
            for (var i = 1; i <= 6; i++)
                Run(journal, Result($"c-{i}"));
        }

        var lines = File.ReadAllLines(JournalPath);
        Assert.Equal(3, lines.Length); // compacted to 2 after the 5th, then the 6th appended
        using var reopened = Open(capacity: 2);
        Assert.False(reopened.TryBegin("c-6", out _));
        Assert.False(reopened.TryBegin("c-5", out _));
    }
}
