using Irrigation.Contracts;
using Irrigation.Server.Ingestion;

namespace Irrigation.Server.Completeness;

/// <summary>Why sequence numbers were recorded as lost.</summary>
public static class LossReasons
{
    /// <summary>The gateway's history no longer holds them (older than its history, or its disk budget dropped them).</summary>
    public const string NotInHistory = "not_in_history";

    /// <summary>The station's gateway started a new sequence stream (replaced, or its data directory lost) with these still open.</summary>
    public const string EpochChanged = "epoch_changed";

    /// <summary>More separate gaps than the server tracks per station: the oldest is given up.</summary>
    public const string TooManyGaps = "too_many_gaps";
}

/// <summary>A range of sequence numbers recorded as lost.</summary>
public sealed record DataLoss(string Station, string Epoch, string? Gateway, SequenceRange Range, long Messages, string Reason, long RecordedAtMs);

/// <summary>The completeness of one station's sequence stream, as the API and the store see it.</summary>
public sealed record StationCompleteness(
    string Station, string Epoch, string? Gateway, long Contiguous, long Highest, IReadOnlyList<SequenceRange> Received,
    long OpenMessages, long GapSinceMs, long LastRequestMs, int Requests, long Repaired, long Lost, long UpdatedMs);

/// <summary>A repair request the tracker wants sent.</summary>
public sealed record RepairDue(string Gateway, RepairRequestMessage Request);

/// <summary>
/// Tracks, per station and sequence stream (epoch), which telemetry sequence numbers are stored: the contiguous
/// watermark (every number up to it stored or recorded lost) and the stored ranges above it. What lies between is a gap;
/// a gap older than the grace period is asked of the station's gateway (<see cref="TakeDue"/>), again after the retry
/// interval while it stays open; what the gateway's history lacks is recorded as loss (<see cref="RecordMissing"/>),
/// never invented. Memory is bounded by <see cref="CompletenessOptions.MaxOpenRanges"/> per station. Thread-safe.
/// </summary>
public sealed class SequenceTracker : IStoredSequenceListener
{
    private const int MaxRetiredEpochs = 8;

    private readonly CompletenessOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Stream> _streams = new(StringComparer.Ordinal);
    private readonly List<DataLoss> _newLosses = [];
    private long _requestNumber;

    public SequenceTracker(CompletenessOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
    }

    /// <summary>Messages that arrived into a gap the server had asked a gateway to repair.</summary>
    public long RepairedTotal { get; private set; }

    public long LostTotal { get; private set; }

    private sealed class Stream(string station, string epoch, string? gateway, long contiguous)
    {
        public string Station { get; } = station;

        public string Epoch { get; } = epoch;

        public string? Gateway { get; set; } = gateway;

        public long Contiguous { get; set; } = contiguous;

        /// <summary>Stored ranges above <see cref="Contiguous"/> + 1: sorted, disjoint, not adjacent.</summary>
        public List<SequenceRange> Above { get; } = [];

        public long GapSinceMs { get; set; }

        public long LastRequestMs { get; set; }

        public int Requests { get; set; }

        public long Repaired { get; set; }

        public long Lost { get; set; }

        public bool Dirty { get; set; } = true;

        /// <summary>Epochs this station had before (in memory only): their late messages must not switch the stream back.</summary>
        public HashSet<string> Retired { get; } = new(StringComparer.Ordinal);

        public long UpdatedMs { get; set; }
    }

    /// <summary>Restores what <see cref="SequenceStore"/> saved; call before ingestion starts.</summary>
    public void Restore(IEnumerable<StationCompleteness> saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        lock (_sync)
        {
            foreach (var s in saved)
            {
                var stream = new Stream(s.Station, s.Epoch, s.Gateway, s.Contiguous)
                {
                    GapSinceMs = s.GapSinceMs, LastRequestMs = s.LastRequestMs, Requests = s.Requests, Repaired = s.Repaired, Lost = s.Lost, Dirty = false, UpdatedMs = s.UpdatedMs,
                };
                stream.Above.AddRange(s.Received.Where(r => r.From > s.Contiguous + 1).OrderBy(r => r.From));
                if (stream.Above.Count > 0 && stream.GapSinceMs == 0)
                    stream.GapSinceMs = _time.GetUtcNow().ToUnixTimeMilliseconds(); // a gap found before the restart: the grace starts again
                _streams[s.Station] = stream;
            }
        }
    }

    public void Stored(IReadOnlyList<StoredSequence> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_sync)
        {
            Stream? stream = null;
            foreach (var s in sequences)
            {
                if (s.Sequence < 1)
                    continue;
                if (stream is null || stream.Station != s.Station.Id || stream.Epoch != s.Epoch)
                    stream = Find(s.Station.Id, s.Epoch, s.Station.Gateway, s.Sequence, now);
                if (stream is not null)
                    Add(stream, s.Sequence, now);
            }
        }
    }

    /// <summary>
    /// The stream of <paramref name="station"/>; a new epoch closes the old stream, its open gaps recorded as lost. Null
    /// for a message of an epoch the station has left (a late message of the replaced gateway): stored, not tracked.
    /// </summary>
    private Stream? Find(string station, string epoch, string? gateway, long sequence, long now)
    {
        if (_streams.TryGetValue(station, out var stream) && stream.Epoch == epoch)
            return stream;
        if (stream is not null && stream.Retired.Contains(epoch))
            return null;
        long contiguous;
        if (stream is null)
        {
            contiguous = sequence - 1; // a station first seen now: what came before is not this server's to ask for
        }
        else
        {
            foreach (var gap in Gaps(stream, int.MaxValue, long.MaxValue))
                Lose(stream, gap, LossReasons.EpochChanged, now);
            contiguous = 0; // a new stream starts at 1: anything before this message is a gap to repair
        }

        var fresh = new Stream(station, epoch, gateway, contiguous) { UpdatedMs = now, Lost = stream?.Lost ?? 0, Repaired = stream?.Repaired ?? 0 };
        if (stream is not null)
        {
            fresh.Retired.UnionWith(stream.Retired.Take(MaxRetiredEpochs - 1));
            fresh.Retired.Add(stream.Epoch);
        }

        _streams[station] = fresh;
        return fresh;
    }

    private void Add(Stream stream, long sequence, long now)
    {
        if (sequence <= stream.Contiguous)
            return; // a duplicate or a replay of what is stored
        var above = stream.Above;
        var intoAskedGap = stream.Requests > 0 && above.Count > 0 && sequence < above[^1].To;
        if (!Fill(stream, new SequenceRange(sequence, sequence)))
            return;
        if (intoAskedGap)
        {
            stream.Repaired++;
            RepairedTotal++;
        }

        stream.Dirty = true;
        stream.UpdatedMs = now;
        if (above.Count == 0)
        {
            stream.GapSinceMs = 0;
            stream.Requests = 0;
        }
        else if (stream.GapSinceMs == 0)
        {
            stream.GapSinceMs = now;
        }

        while (above.Count > _options.MaxOpenRanges)
        {
            var ranges = above.Count;
            Lose(stream, Gaps(stream, 1, long.MaxValue)[0], LossReasons.TooManyGaps, now);
            if (above.Count >= ranges)
                break; // never spin: giving up the oldest gap always closes a range
        }
    }

    /// <summary>Marks <paramref name="range"/> as accounted for (stored or lost); true when anything in it was not already.</summary>
    private static bool Fill(Stream stream, SequenceRange range)
    {
        var from = Math.Max(range.From, stream.Contiguous + 1);
        if (from > range.To)
            return false;
        var above = stream.Above;
        var before = Covered(stream);

        // Insert, then merge overlapping or adjacent neighbours.
        var index = above.FindIndex(r => r.From > from);
        if (index < 0)
            index = above.Count;
        above.Insert(index, new SequenceRange(from, range.To));
        var start = Math.Max(0, index - 1);
        while (start + 1 < above.Count)
        {
            var a = above[start];
            var b = above[start + 1];
            if (b.From <= a.To + 1)
            {
                above[start] = new SequenceRange(a.From, Math.Max(a.To, b.To));
                above.RemoveAt(start + 1);
            }
            else if (b.From > range.To + 1)
            {
                break;
            }
            else
            {
                start++;
            }
        }

        // Advance the watermark over a first range that now touches it.
        if (above.Count > 0 && above[0].From == stream.Contiguous + 1)
        {
            stream.Contiguous = above[0].To;
            above.RemoveAt(0);
        }

        return Covered(stream) != before;
    }

    private static long Covered(Stream stream) => stream.Contiguous + stream.Above.Sum(r => r.Count);

    /// <summary>The open gaps of a stream, oldest first: at most <paramref name="maxRanges"/> ranges and <paramref name="maxMessages"/> numbers.</summary>
    private static List<SequenceRange> Gaps(Stream stream, int maxRanges, long maxMessages)
    {
        var gaps = new List<SequenceRange>();
        var next = stream.Contiguous + 1;
        foreach (var range in stream.Above)
        {
            if (gaps.Count >= maxRanges || maxMessages <= 0)
                break;
            var end = range.From - 1;
            if (end - next + 1 > maxMessages)
                end = next + maxMessages - 1; // never next + long.MaxValue: that overflows
            var gap = new SequenceRange(next, end);
            gaps.Add(gap);
            maxMessages -= gap.Count;
            next = range.To + 1;
        }

        return gaps;
    }

    private void Lose(Stream stream, SequenceRange range, string reason, long now)
    {
        var before = Covered(stream);
        Fill(stream, range);
        var count = Covered(stream) - before;
        if (count <= 0)
            return;
        stream.Lost += count;
        stream.Dirty = true;
        stream.UpdatedMs = now;
        LostTotal += count;
        _newLosses.Add(new DataLoss(stream.Station, stream.Epoch, stream.Gateway, range, count, reason, now));
        if (stream.Above.Count == 0)
        {
            stream.GapSinceMs = 0;
            stream.Requests = 0;
        }
    }

    /// <summary>Repair requests due now: gaps past the grace period, not asked within the retry interval, to a known gateway.</summary>
    public List<RepairDue> TakeDue()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var grace = (long)_options.GracePeriod.TotalMilliseconds;
        var retry = (long)_options.RetryInterval.TotalMilliseconds;
        var due = new List<RepairDue>();
        lock (_sync)
        {
            foreach (var stream in _streams.Values)
            {
                if (stream.Above.Count == 0 || stream.Gateway is null || now - stream.GapSinceMs < grace || now - stream.LastRequestMs < retry)
                    continue;
                var gaps = Gaps(stream, RepairPayload.MaxRanges, _options.MaxMessagesPerRequest);
                stream.LastRequestMs = now;
                stream.Requests++;
                stream.Dirty = true;
                var id = $"r-{now:x}-{++_requestNumber}";
                due.Add(new RepairDue(stream.Gateway, new RepairRequestMessage(id, stream.Station, stream.Epoch, gaps, now)));
            }
        }

        return due;
    }

    /// <summary>
    /// Applies a gateway's answer: the ranges it no longer holds become loss. An answer for another epoch than the one
    /// tracked now (a stale answer) changes nothing. Returns the losses recorded.
    /// </summary>
    public IReadOnlyList<DataLoss> RecordMissing(RepairResultMessage result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_sync)
        {
            if (!_streams.TryGetValue(result.Station, out var stream) || stream.Epoch != result.Epoch)
                return [];
            var start = _newLosses.Count;
            var reason = result.Reason == RepairReasons.UnknownEpoch ? LossReasons.EpochChanged : LossReasons.NotInHistory;
            foreach (var range in result.Missing)
                Lose(stream, range, reason, now);
            return _newLosses.Count > start ? _newLosses.GetRange(start, _newLosses.Count - start) : [];
        }
    }

    /// <summary>Losses recorded since the last call (for the store, InfluxDB and the log).</summary>
    public List<DataLoss> TakeLosses()
    {
        lock (_sync)
        {
            var losses = new List<DataLoss>(_newLosses);
            _newLosses.Clear();
            return losses;
        }
    }

    /// <summary>Streams changed since the last call, for saving; marks them saved.</summary>
    public List<StationCompleteness> TakeDirty()
    {
        lock (_sync)
        {
            var dirty = new List<StationCompleteness>();
            foreach (var stream in _streams.Values.Where(s => s.Dirty))
            {
                dirty.Add(View(stream));
                stream.Dirty = false;
            }

            return dirty;
        }
    }

    public StationCompleteness? Find(string station)
    {
        lock (_sync)
            return _streams.TryGetValue(station, out var stream) ? View(stream) : null;
    }

    public List<StationCompleteness> All()
    {
        lock (_sync)
            return _streams.Values.OrderBy(s => s.Station, StringComparer.Ordinal).Select(View).ToList();
    }

    /// <summary>Sequence numbers in open gaps, all stations.</summary>
    public long OpenMessages()
    {
        lock (_sync)
            return _streams.Values.Sum(s => Gaps(s, int.MaxValue, long.MaxValue).Sum(g => g.Count));
    }

    private static StationCompleteness View(Stream s) => new(
        s.Station, s.Epoch, s.Gateway, s.Contiguous, s.Above.Count > 0 ? s.Above[^1].To : s.Contiguous, [.. s.Above],
        Gaps(s, int.MaxValue, long.MaxValue).Sum(g => g.Count), s.GapSinceMs, s.LastRequestMs, s.Requests, s.Repaired, s.Lost, s.UpdatedMs);
}
