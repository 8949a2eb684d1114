using System.Text;
using Irrigation.Spool.Tests.TestSupport;

namespace Irrigation.Spool.Tests;

/// <summary>The publish history: ranges read back per stream, the newest ordinals, bounded by age and bytes, torn tails cut off.</summary>
public sealed class HistoryLogTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly SpoolDirectory _dir = new();
    private readonly ManualClock _clock = new(T0);
    private readonly List<HistoryLog> _opened = [];

    public void Dispose()
    {
        foreach (var log in _opened)
            log.Dispose();
        _dir.Dispose();
    }

    private HistoryLog Open(int segmentBytes = 4096, long maxBytes = 1024 * 1024, TimeSpan? maxAge = null)
    {
        var log = HistoryLog.Open(new HistoryLogOptions { Directory = _dir.Path, SegmentBytes = segmentBytes, MaxBytes = maxBytes, MaxAge = maxAge ?? TimeSpan.FromDays(7) }, _dir.Log, _clock);
        _opened.Add(log);
        return log;
    }

    private static byte[] Payload(string stream, long n) => Encoding.UTF8.GetBytes($"{stream}#{n}");

    private static void Fill(HistoryLog log, long from, long to, params string[] streams)
    {
        for (var n = from; n <= to; n++)
        {
            foreach (var stream in streams)
                log.Append(stream, n, T0.ToUnixTimeMilliseconds() + n, Payload(stream, n));
        }
    }

    [Fact]
    public void Read_RangeOfOneStreamAcrossSegments_ExactlyThoseRecordsInOrder()
    {
        var log = Open();
        Fill(log, 1, 400, "st001", "st002");

        var records = log.Read("st001", 120, 260, int.MaxValue);

        Assert.True(log.Segments > 3);
        Assert.Equal(Enumerable.Range(120, 141).Select(n => (long)n), records.Select(r => r.Ordinal));
        Assert.All(records, r => Assert.Equal(Payload("st001", r.Ordinal), r.Payload));
        Assert.All(records, r => Assert.Equal(T0.ToUnixTimeMilliseconds() + r.Ordinal, r.TimestampMs));
    }

    [Fact]
    public void Read_AtMostMax()
    {
        var log = Open();
        Fill(log, 1, 50, "st001");

        Assert.Equal([10L, 11L, 12L], log.Read("st001", 10, 50, 3).Select(r => r.Ordinal));
    }

    [Fact]
    public void NewestOrdinals_PerStream_AfterReopen()
    {
        var log = Open();
        Fill(log, 1, 30, "st001");
        Fill(log, 1, 7, "st002");
        log.Dispose();

        var reopened = Open();

        Assert.Equal(new Dictionary<string, long> { ["st001"] = 30, ["st002"] = 7 }, reopened.NewestOrdinals());
        Assert.Equal(30, reopened.Read("st001", 1, 1000, int.MaxValue).Count);
    }

    [Fact]
    public void Reopen_AfterTornTail_CutsItOffKeepsWholeRecordsAndAppendsAfterThem()
    {
        var log = Open(segmentBytes: 1024 * 1024, maxBytes: 4 * 1024 * 1024);
        Fill(log, 1, 20, "st001");
        log.Dispose();
        var file = Directory.EnumerateFiles(_dir.Path, "*.hist").Single();
        var length = new FileInfo(file).Length;
        using (var stream = new FileStream(file, FileMode.Open))
            stream.SetLength(length - 5); // a kill in the middle of record 20

        var reopened = Open(segmentBytes: 1024 * 1024, maxBytes: 4 * 1024 * 1024);
        reopened.Append("st001", 20, 0, Payload("st001", 20));

        Assert.Equal(Enumerable.Range(1, 20).Select(n => (long)n), reopened.Read("st001", 1, 100, int.MaxValue).Select(r => r.Ordinal));
    }

    [Fact]
    public void Prune_DeletesSegmentsOlderThanTheAgeLimit_KeepsNewer()
    {
        var log = Open(maxAge: TimeSpan.FromDays(7));
        for (var n = 1; n <= 400; n++)
            log.Append("st001", n, (T0 + TimeSpan.FromHours(n)).ToUnixTimeMilliseconds(), Payload("st001", n));
        _clock.Now = T0 + TimeSpan.FromHours(400);

        var dropped = log.Prune();

        var kept = log.Read("st001", 1, 400, int.MaxValue).Select(r => r.Ordinal).ToList();
        Assert.True(dropped > 0);
        Assert.Equal(400, kept[^1]);
        Assert.True(kept[0] > 1, "the oldest hours are gone");
        Assert.True(kept[0] <= 400 - (7 * 24), $"a whole week is kept: oldest kept {kept[0]}");
        Assert.Equal(Enumerable.Range((int)kept[0], 400 - (int)kept[0] + 1).Select(n => (long)n), kept);
    }

    [Fact]
    public void Append_PastTheByteBudget_OldestSegmentsGo_BytesStayWithinBudget()
    {
        var log = Open(segmentBytes: 4096, maxBytes: 16 * 1024);
        Fill(log, 1, 2000, "st001");

        Assert.True(log.Bytes <= 16 * 1024, $"{log.Bytes} bytes");
        Assert.Equal(2000, log.NewestOrdinals()["st001"]);
        Assert.Empty(log.Read("st001", 1, 10, int.MaxValue));
    }

    [Fact]
    public void Options_Invalid_Throw()
    {
        Assert.Throws<ArgumentException>(() => HistoryLog.Open(new HistoryLogOptions { Directory = "" }));
        Assert.Throws<ArgumentException>(() => HistoryLog.Open(new HistoryLogOptions { Directory = _dir.Path, MaxAge = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => HistoryLog.Open(new HistoryLogOptions { Directory = _dir.Path, SegmentBytes = 4096, MaxBytes = 4096 }));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
