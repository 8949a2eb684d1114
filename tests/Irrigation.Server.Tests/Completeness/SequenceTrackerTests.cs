using Irrigation.Contracts;
using Irrigation.Server.Completeness;
using Irrigation.Server.Ingestion;
using Irrigation.Server.State;
using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests.Completeness;

/// <summary>Which sequence numbers are stored, which gaps are asked for and when, and what becomes recorded loss.</summary>
public sealed class SequenceTrackerTests
{
    private static readonly StationEntry St001 = new("st001", "城东", "城东镇", gateway: "gw-01");
    private static readonly StationEntry St002 = new("st002", "石门", "石门镇", gateway: "gw-02");
    private readonly TestClock _clock = new();
    private readonly CompletenessOptions _options = new() { GracePeriod = TimeSpan.FromSeconds(20), RetryInterval = TimeSpan.FromSeconds(60), MaxOpenRanges = 5 };
    private readonly SequenceTracker _tracker;

    public SequenceTrackerTests() => _tracker = new SequenceTracker(_options, _clock);

    private void Store(StationEntry station, string epoch, params long[] sequences) =>
        _tracker.Stored(sequences.Select(s => new StoredSequence(station, epoch, s, 1_000 + s)).ToList());

    private static long[] Range(long from, long to) => Enumerable.Range((int)from, (int)(to - from + 1)).Select(n => (long)n).ToArray();

    [Fact]
    public void InOrder_NoGap_NothingDue()
    {
        Store(St001, "e1", Range(1, 100));
        _clock.Advance(TimeSpan.FromMinutes(5));

        var s = _tracker.Find("st001")!;
        Assert.Equal((100L, 100L, 0L), (s.Contiguous, s.Highest, s.OpenMessages));
        Assert.Empty(_tracker.TakeDue());
    }

    [Fact]
    public void FirstSight_StartsAtTheFirstNumberSeen_DoesNotAskForEarlierHistory()
    {
        Store(St001, "e1", Range(500, 510));
        _clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(510, _tracker.Find("st001")!.Contiguous);
        Assert.Empty(_tracker.TakeDue());
    }

    [Fact]
    public void Gap_AskedOnlyAfterTheGracePeriod_ThenAgainAfterTheRetryInterval_ToTheStationsGateway()
    {
        Store(St001, "e1", Range(1, 10));
        Store(St001, "e1", Range(21, 30));
        Store(St001, "e1", Range(41, 45));

        _clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Empty(_tracker.TakeDue());
        _clock.Advance(TimeSpan.FromSeconds(1));
        var due = Assert.Single(_tracker.TakeDue());
        Assert.Equal("gw-01", due.Gateway);
        Assert.Equal(("st001", "e1"), (due.Request.Station, due.Request.Epoch));
        Assert.Equal([new SequenceRange(11, 20), new SequenceRange(31, 40)], due.Request.Ranges);
        Assert.Empty(_tracker.TakeDue());

        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Single(_tracker.TakeDue());
    }

    [Fact]
    public void GapFilledByTheRepair_Closes_CountsRepaired_WatermarkReachesTheTop()
    {
        Store(St001, "e1", Range(1, 10));
        Store(St001, "e1", Range(21, 30));
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Single(_tracker.TakeDue());

        Store(St001, "e1", Range(11, 20));

        var s = _tracker.Find("st001")!;
        Assert.Equal((30L, 0L, 10L, 0), (s.Contiguous, s.OpenMessages, s.Repaired, s.Received.Count));
        Assert.Equal(10, _tracker.RepairedTotal);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(_tracker.TakeDue());
    }

    [Fact]
    public void Duplicates_AndReplaysOfStoredNumbers_ChangeNothing()
    {
        Store(St001, "e1", Range(1, 10));
        Store(St001, "e1", 5, 6, 7, 10, 10);

        var s = _tracker.Find("st001")!;
        Assert.Equal((10L, 0L, 0L), (s.Contiguous, s.OpenMessages, s.Repaired));
    }

    [Fact]
    public void MissingInTheGatewaysHistory_RecordedAsLossOnce_OnlyWhatWasStillMissing()
    {
        Store(St001, "e1", Range(1, 10));
        Store(St001, "e1", Range(21, 30));
        Store(St001, "e1", 15); // arrived meanwhile
        var result = new RepairResultMessage("r1", "st001", "e1", "gw-01", 0, [new SequenceRange(11, 20)], null, 0);

        var losses = _tracker.RecordMissing(result);
        var again = _tracker.RecordMissing(result);

        var loss = Assert.Single(losses);
        Assert.Equal((9L, LossReasons.NotInHistory, "gw-01"), (loss.Messages, loss.Reason, loss.Gateway));
        Assert.Empty(again);
        var s = _tracker.Find("st001")!;
        Assert.Equal((30L, 9L, 0L), (s.Contiguous, s.Lost, s.OpenMessages));
        Assert.Equal(9, _tracker.LostTotal);
        Assert.Single(_tracker.TakeLosses());
        Assert.Empty(_tracker.TakeLosses());
    }

    [Fact]
    public void ResultOfAnotherEpoch_Ignored()
    {
        Store(St001, "e1", Range(1, 10));
        Store(St001, "e1", Range(21, 30));

        Assert.Empty(_tracker.RecordMissing(new RepairResultMessage("r1", "st001", "old", "gw-01", 0, [new SequenceRange(11, 20)], null, 0)));
        Assert.Equal(10, _tracker.Find("st001")!.OpenMessages);
    }

    [Fact]
    public void NewEpoch_OldOpenGapsRecordedLost_NewStreamFromOne_EarlierNumbersOfItAskedFor_LateOldMessagesIgnored()
    {
        Store(St001, "e1", Range(1, 10));
        Store(St001, "e1", Range(21, 30));

        Store(St001, "e2", Range(4, 6)); // the replaced gateway's 1..3 never arrived
        Store(St001, "e1", 11);          // a late message of the old stream does not switch back

        var loss = Assert.Single(_tracker.TakeLosses());
        Assert.Equal((new SequenceRange(11, 20), 10L, LossReasons.EpochChanged), (loss.Range, loss.Messages, loss.Reason));
        var s = _tracker.Find("st001")!;
        Assert.Equal(("e2", 0L, 6L, 3L), (s.Epoch, s.Contiguous, s.Highest, s.OpenMessages));
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal([new SequenceRange(1, 3)], Assert.Single(_tracker.TakeDue()).Request.Ranges);
    }

    [Fact]
    public void TooManySeparateGaps_OldestGivenUpAsLoss_MemoryBounded()
    {
        Store(St001, "e1", 1);
        for (long n = 3; n <= 21; n += 2)
            Store(St001, "e1", n); // ten gaps of one

        var s = _tracker.Find("st001")!;
        Assert.True(s.Received.Count <= _options.MaxOpenRanges);
        Assert.All(_tracker.TakeLosses(), l => Assert.Equal(LossReasons.TooManyGaps, l.Reason));
        Assert.Equal(21, s.Highest);
    }

    [Fact]
    public void LargeGap_AskedInTurnsOfAtMostMaxMessages()
    {
        _options.MaxMessagesPerRequest = 1000;
        Store(St001, "e1", 1);
        Store(St001, "e1", 5002);
        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal([new SequenceRange(2, 1001)], Assert.Single(_tracker.TakeDue()).Request.Ranges);
    }

    [Fact]
    public void StationsWithoutAKnownGateway_NotAsked_StationsTrackedApart()
    {
        var unknown = new StationEntry("st009", "?", "?");
        Store(unknown, "e1", 1, 5);
        Store(St002, "e9", 1, 3);
        _clock.Advance(TimeSpan.FromSeconds(30));

        var due = Assert.Single(_tracker.TakeDue());
        Assert.Equal(("gw-02", "st002"), (due.Gateway, due.Request.Station));
    }

    [Fact]
    public void Restore_SavedState_GapsStillKnown_GraceStartsAgain()
    {
        Store(St001, "e1", Range(1, 10));
        Store(St001, "e1", Range(21, 30));
        var saved = _tracker.TakeDirty();
        Assert.Empty(_tracker.TakeDirty());

        var restored = new SequenceTracker(_options, _clock);
        restored.Restore(saved);

        var s = restored.Find("st001")!;
        Assert.Equal((10L, 30L, 10L), (s.Contiguous, s.Highest, s.OpenMessages));
        Assert.Empty(restored.TakeDue());
        _clock.Advance(TimeSpan.FromSeconds(21));
        Assert.Single(restored.TakeDue());
    }
}
