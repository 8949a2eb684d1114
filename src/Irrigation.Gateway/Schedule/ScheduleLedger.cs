using System.Text.Json;
using Irrigation.Contracts;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Schedule;

public enum ScheduledRunState
{
    /// <summary>The start is queued at the station.</summary>
    Starting,

    /// <summary>The start was confirmed by feedback: the plan owns the pump until its end.</summary>
    Running,

    /// <summary>The stop is queued at the station.</summary>
    Stopping,

    /// <summary>Over: stopped, refused, not executed, or ended by an operator.</summary>
    Ended,
}

/// <summary>One step of one day's occurrence of a plan, as the gateway runs it.</summary>
public sealed record ScheduledRun(string RunId, string PlanId, long PlanVersion, string Station, int Pump, long StartMs, long EndMs)
{
    public ScheduledRunState State { get; set; }

    public string? Outcome { get; set; }

    public string? Reason { get; set; }

    /// <summary>The plan starts this pump even within an operator's hold.</summary>
    public bool OverrideHold { get; set; }

    /// <summary>The start was about to be written to the controller: from then on the plan owns the pump, whatever the start's result.</summary>
    public bool Written { get; set; }

    /// <summary>Stop now, not at the end: the start failed after its write, or the last stop failed.</summary>
    public bool StopDue { get; set; }

    /// <summary>Stops tried so far; each has its own command id (<c>{run}/stop</c>, <c>{run}/stop-2</c>, …).</summary>
    public int StopAttempts { get; set; }

    /// <summary>Not before this (Unix ms): the next stop after a failed one.</summary>
    public long NextStopMs { get; set; }

    public string StopCommandId => StopAttempts == 0 ? RunId + "/stop" : $"{RunId}/stop-{StopAttempts + 1}";

    public ScheduleInfo Info => new(PlanId, PlanVersion, RunId, StartMs);
}

/// <summary>An operator's stop of a pump, for the hold rule.</summary>
public sealed record OperatorStop(string Station, int Pump, long AtMs, string By);

/// <summary>
/// What the gateway's scheduler has done, on disk (<c>{dataDirectory}/schedule.json</c>, replaced atomically on each
/// change), so that a restart neither starts a run twice nor leaves a pump running past its plan: the runs of the
/// last days and their states, operators' recent stops (the hold rule), the wall clock last seen (a clock that went
/// back is not trusted), and since when plans were held (runs before that are not reported as missed).
/// </summary>
public sealed class ScheduleLedger
{
    private static readonly JsonSerializerOptions Json = JsonWriting.Web;
    private static readonly TimeSpan Keep = TimeSpan.FromDays(3);

    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, ScheduledRun> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Station, int Pump), OperatorStop> _stops = new();
    private readonly Dictionary<string, PlanSeen> _seen = new(StringComparer.Ordinal);

    public ScheduleLedger(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
        Load();
    }

    private long _sinceMs;
    private long _checkpointMs;

    /// <summary>When the gateway first held a plan set (0: never). Occurrences before this are never reported missed.</summary>
    public long SinceMs
    {
        get => Interlocked.Read(ref _sinceMs); // read without the lock: whole on 32-bit ARM gateways too
        private set => Interlocked.Exchange(ref _sinceMs, value);
    }

    /// <summary>The newest wall clock the scheduler saw.</summary>
    public long CheckpointMs
    {
        get => Interlocked.Read(ref _checkpointMs);
        private set => Interlocked.Exchange(ref _checkpointMs, value);
    }

    /// <summary>When the gateway first held a plan's revision: its occurrences that started before are not its business.</summary>
    public sealed record PlanSeen(string Plan, long Revision, long AtMs);

    private sealed record FileState(long SinceMs, long CheckpointMs, List<ScheduledRun> Runs, List<OperatorStop> Stops, List<PlanSeen>? Seen);

    private void Load()
    {
        if (!File.Exists(_path))
            return;
        try
        {
            if (JsonSerializer.Deserialize<FileState>(File.ReadAllBytes(_path), Json) is not { } state)
                return;
            SinceMs = state.SinceMs;
            CheckpointMs = state.CheckpointMs;
            foreach (var run in state.Runs ?? [])
                _runs[run.RunId] = run;
            foreach (var stop in state.Stops ?? [])
                _stops[(stop.Station, stop.Pump)] = stop;
            foreach (var seen in state.Seen ?? [])
                _seen[seen.Plan] = seen;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            // Written atomically, so this is damage from outside: start afresh, and say so. Nothing is started twice within
            // the journal's memory of command ids; a pump a run had started is not stopped by the plan any more (the
            // server's failed_to_stop / unexpected_running rules and the crew are then the guard).
            _logger.LogError("Schedule ledger {Path} is unreadable ({Reason}); starting with an empty one.", _path, ex.Message);
        }
    }

    /// <summary>
    /// Writes the state; a failed write (disk full, read-only) is logged and the state kept in memory, saved with the next
    /// change — it never throws into a station worker, whose stops the plan needs.
    /// </summary>
    private void Save()
    {
        try
        {
            var state = new FileState(SinceMs, CheckpointMs, _runs.Values.ToList(), _stops.Values.ToList(), _seen.Values.ToList());
            var temporary = _path + ".tmp";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(state, Json));
            File.Move(temporary, _path, overwrite: true);
            SaveFailures = 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (SaveFailures++ == 0)
                _logger.LogError("Schedule ledger {Path} could not be written ({Reason}); kept in memory, written again with the next change.", _path, ex.Message);
        }
    }

    /// <summary>Writes that failed in a row (0 when the file is current).</summary>
    public int SaveFailures { get; private set; }

    /// <summary>Marks the first time a plan set is held; later calls change nothing.</summary>
    public void HoldingPlansSince(long nowMs)
    {
        lock (_sync)
        {
            if (SinceMs != 0)
                return;
            SinceMs = nowMs;
            Save();
        }
    }

    /// <summary>The server's clock confirmed this one: a checkpoint left in the future by a clock that had jumped forward goes.</summary>
    public void ResetCheckpoint(long nowMs)
    {
        lock (_sync)
        {
            if (CheckpointMs <= nowMs)
                return;
            CheckpointMs = nowMs;
            Save();
        }
    }

    /// <summary>Moves the checkpoint forward (never back) and drops what is older than three days; saved at most once a minute unless something else changed.</summary>
    public void Checkpoint(long nowMs)
    {
        lock (_sync)
        {
            if (nowMs <= CheckpointMs)
                return;
            var save = nowMs - CheckpointMs >= 60_000;
            CheckpointMs = nowMs;
            var old = nowMs - (long)Keep.TotalMilliseconds;
            foreach (var id in _runs.Values.Where(r => r.State == ScheduledRunState.Ended && r.EndMs < old).Select(r => r.RunId).ToList())
            {
                _runs.Remove(id);
                save = true;
            }

            if (save)
                Save();
        }
    }

    /// <summary>When this revision of the plan was first held (now, the first time it is asked); plans no longer held are forgotten.</summary>
    public long FirstSeen(IrrigationPlan plan, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_sync)
        {
            if (_seen.TryGetValue(plan.Id, out var seen) && seen.Revision == plan.Revision)
                return seen.AtMs;
            _seen[plan.Id] = new PlanSeen(plan.Id, plan.Revision, nowMs);
            Save();
            return nowMs;
        }
    }

    public void ForgetPlansExcept(IReadOnlySet<string> held)
    {
        lock (_sync)
        {
            var gone = _seen.Keys.Where(id => !held.Contains(id)).ToList();
            foreach (var id in gone)
                _seen.Remove(id);
            if (gone.Count > 0)
                Save();
        }
    }

    public ScheduledRun? Find(string runId)
    {
        lock (_sync)
            return _runs.GetValueOrDefault(runId) is { } run ? run with { } : null;
    }

    /// <summary>A copy of every run not yet ended.</summary>
    public IReadOnlyList<ScheduledRun> Active()
    {
        lock (_sync)
            return _runs.Values.Where(r => r.State != ScheduledRunState.Ended).Select(r => r with { }).ToList();
    }

    /// <summary>Records a new run in <paramref name="state"/>; false when the run is already known (nothing changes).</summary>
    public bool TryAdd(ScheduledRun run, ScheduledRunState state, string? outcome = null, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_sync)
        {
            if (_runs.ContainsKey(run.RunId))
                return false;
            _runs[run.RunId] = run with { State = state, Outcome = outcome, Reason = reason };
            Save();
            return true;
        }
    }

    /// <summary>Moves a run to <paramref name="state"/> when it is in one of <paramref name="from"/>; the run as it was, or null.</summary>
    public ScheduledRun? Transition(string runId, ScheduledRunState[] from, ScheduledRunState state, string? outcome = null, string? reason = null)
    {
        lock (_sync)
        {
            if (!_runs.TryGetValue(runId, out var run) || !from.Contains(run.State))
                return null;
            var before = run with { };
            run.State = state;
            run.Outcome = outcome ?? run.Outcome;
            run.Reason = reason ?? run.Reason;
            Save();
            return before;
        }
    }

    /// <summary>Changes a run in place (under the lock, then saved); the run as it is after, or null when there is none.</summary>
    public ScheduledRun? Update(string runId, Func<ScheduledRun, bool> change)
    {
        lock (_sync)
        {
            if (!_runs.TryGetValue(runId, out var run) || !change(run))
                return null;
            Save();
            return run with { };
        }
    }

    /// <summary>An operator stopped the pump: remembered for the hold; returns the plan's run on that pump it ends, if any.</summary>
    public ScheduledRun? OperatorStopped(string station, int pump, long atMs, string by)
    {
        lock (_sync)
        {
            _stops[(station, pump)] = new OperatorStop(station, pump, atMs, by);
            var run = _runs.Values.FirstOrDefault(r => r.Station == station && r.Pump == pump && r.State is ScheduledRunState.Running or ScheduledRunState.Starting or ScheduledRunState.Stopping);
            ScheduledRun? ended = null;
            if (run is not null)
            {
                ended = run with { };
                run.State = ScheduledRunState.Ended;
                run.Outcome = CommandOutcomes.Succeeded;
                run.Reason = ScheduleReasons.ManualStop;
            }

            Save();
            return ended;
        }
    }

    public OperatorStop? LastOperatorStop(string station, int pump)
    {
        lock (_sync)
            return _stops.GetValueOrDefault((station, pump));
    }
}
