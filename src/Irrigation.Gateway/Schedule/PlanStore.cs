using Irrigation.Contracts;
using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Publishing;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Schedule;

/// <summary>
/// The plan set the gateway runs: the last valid one received on <c>{root}/gateways/{id}/plan</c>, kept on disk
/// (<c>{dataDirectory}/plan-set.json</c>, the signed message as received) and checked again when read back. A set
/// replaces the running one only when it is for this gateway, signed by one of its command keys (when it has keys,
/// as for commands), and newer; anything else is refused and answered on <c>…/plan/applied</c> with the reason, and the
/// gateway keeps running what it ran. Answers to refusals are bounded like refused commands (<see cref="RefusalBudget"/>).
/// </summary>
public sealed class PlanStore
{
    private readonly GatewayOptions _options;
    private readonly Dictionary<string, byte[]> _keys;
    private readonly Outbox _outbox;
    private readonly ClockTrust _clock;
    private readonly ScheduleLedger _ledger;
    private readonly TimeProvider _time;
    private readonly ILogger<PlanStore> _logger;
    private readonly RefusalBudget _refusals;
    private readonly string _path;
    private readonly Lock _sync = new();
    private PlanSetMessage? _current;

    public PlanStore(GatewayOptions options, Outbox outbox, ClockTrust clock, ScheduleLedger ledger, TimeProvider time, ILogger<PlanStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _keys = options.Commands.KeyTable();
        _outbox = outbox;
        _clock = clock;
        _ledger = ledger;
        _time = time;
        _logger = logger;
        _refusals = new RefusalBudget(time);
        _path = Path.Combine(options.DataDirectory, "plan-set.json");
        Load();
    }

    /// <summary>The running set; null before the first valid one.</summary>
    public PlanSetMessage? Current
    {
        get
        {
            lock (_sync)
                return _current;
        }
    }

    public long Refused { get; private set; }

    private void Load()
    {
        if (!File.Exists(_path))
            return;
        var bytes = File.ReadAllBytes(_path);
        if (Check(bytes, out var set) is { } problem)
        {
            // E.g. the keys were changed since: a plan nobody can vouch for any more is not run.
            _logger.LogError("Saved plan set {Path} is not valid any more ({Reason}: {Detail}); running no plan until the server sends one.", _path, problem.Reason, problem.Detail);
            return;
        }

        _current = set;
        _logger.LogInformation("Plan set version {Version} loaded: {Count} plan(s).", set!.Version, set.Plans.Count);
    }

    private (string Reason, string Detail)? Check(ReadOnlySpan<byte> payload, out PlanSetMessage? set)
    {
        if (!PlanSetPayload.TryRead(payload, out set, out var error))
            return (PlanRefusals.Invalid, error!);
        if (set!.Gateway != _options.Id)
            return (PlanRefusals.WrongGateway, $"the set is for gateway '{set.Gateway}'");
        if (_keys.Count > 0 && PlanSetPayload.SignatureProblem(set, _keys) is { } problem)
            return (PlanRefusals.BadSignature, problem);
        return null;
    }

    /// <summary>
    /// Takes a plan set from the broker. Applies it when valid and newer (or answers again for the running version);
    /// otherwise refuses it, keeping the running one. Never throws on bad input.
    /// </summary>
    public void Offer(ReadOnlySpan<byte> payload)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Check(payload, out var set) is { } problem)
        {
            Refuse(set?.Version ?? 0, problem.Reason, problem.Detail, now);
            return;
        }

        long? older = null;
        lock (_sync)
        {
            if (_current is { } running && set!.Version < running.Version)
                older = running.Version;
            else if (_current?.Version != set!.Version)
            {
                try
                {
                    var temporary = _path + ".tmp";
                    File.WriteAllBytes(temporary, payload.ToArray());
                    File.Move(temporary, _path, overwrite: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Applied all the same (it is valid and newer), and said so; it is kept only until a restart.
                    _logger.LogError("Plan set version {Version} could not be saved to {Path} ({Reason}); running it, but a restart before the next save falls back to the previous one.", set.Version, _path, ex.Message);
                }

                _current = set;
                _logger.LogInformation("Plan set version {Version} applied: {Count} plan(s) ({Names}).", set.Version, set.Plans.Count, string.Join(", ", set.Plans.Select(p => p.Name)));
            }
        }

        if (older is { } runningVersion)
        {
            Refuse(set.Version, PlanRefusals.OldVersion, $"version {set.Version} is older than the running {runningVersion}", now);
            return;
        }

        _ledger.HoldingPlansSince(now);
        foreach (var plan in set.Plans)
            _ledger.FirstSeen(plan, now); // from the moment it arrived, not the scheduler's next tick: a start a moment later is not missed
        Acknowledge(PlanApplyStatus.Applied, set.Version, null, null, now);
    }

    private void Refuse(long version, string reason, string detail, long now)
    {
        Refused++;
        if (!_refusals.TryTake())
            return; // counted; a flood is not answered one by one
        _logger.LogWarning("Security: refused plan set version {Version} ({Reason}: {Detail}); still running version {Running}.", version, reason, detail, Current?.Version ?? 0);
        Acknowledge(PlanApplyStatus.Refused, version, reason, detail, now);
    }

    /// <summary>Publishes (retained, through the outbox, so an answer made offline goes out later) what runs and the clock's state.</summary>
    public void Acknowledge(string status, long version, string? reason, string? detail, long now)
    {
        var current = Current;
        var clockProblem = _clock.Problem(now, _ledger.CheckpointMs, current?.IssuedAtMs ?? 0);
        _outbox.Enqueue(Topics.PlanApplied(_options.TopicRoot, _options.Id),
            PlanSetPayload.Write(new PlanAppliedMessage(_options.Id, version, status, reason, detail, current?.Version ?? 0, clockProblem is null, clockProblem, now)), retain: true);
    }
}
