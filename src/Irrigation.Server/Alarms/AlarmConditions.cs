using Irrigation.Contracts;
using Irrigation.Server.State;
using Irrigation.Server.Stations;

using Irrigation.Server.Profiles;

namespace Irrigation.Server.Alarms;

public enum ConditionState
{
    /// <summary>Unknown input (value missing): neither raise nor clear.</summary>
    Hold,
    Raise,
    Clear,
}

/// <summary>What one rule says about one station (or pump) right now. <see cref="Key"/> is the rule id, or pump{n}.{rule}.</summary>
public sealed record ConditionReading(string Key, AlarmRule Rule, int? Pump, ConditionState State, double Value, AlarmMessage Message);

/// <summary>The last finished command of a pump, for the failed-to-start/stop and unexpected-running rules.</summary>
public sealed record LastPumpCommand(string Action, string State);

/// <summary>Everything the rules read besides the station's latest values.</summary>
public sealed record ConditionContext(
    Func<string, AlarmRule> Rule,
    Func<int, LastPumpCommand?> LastCommand,
    double MeterStillSeconds,
    (double AgoSeconds, string Gateway)? LastForgedCommand = null,
    (double AgoSeconds, MissedRuns.Missed Run)? LastMissedRun = null);

/// <summary>
/// Turns a station's latest state into rule readings. Threshold rules apply hysteresis: Raise at the threshold,
/// Clear only past the clear threshold, Hold in between (the tracker keeps whatever it had).
/// </summary>
public static class AlarmConditions
{
    public static IEnumerable<ConditionReading> Evaluate(StationSnapshot station, ConditionContext context)
    {
        ArgumentNullException.ThrowIfNull(station);
        ArgumentNullException.ThrowIfNull(context);
        var values = station.Values;
        double? V(string key) => values.TryGetValue(key, out var v) ? v.Value : null;

        // Security: a forged or altered command refused by the gateway keeps this alarm active for Threshold seconds.
        var forged = context.Rule(AlarmRules.ForgedCommand);
        yield return Flag(forged, null, context.LastForgedCommand is { } lastForged && lastForged.AgoSeconds < forged.Threshold, false,
            AlarmMessage.Of("forged_command", ("gateway", context.LastForgedCommand?.Gateway ?? "")));

        // A scheduled run not executed keeps this alarm active for Threshold seconds, or until a later scheduled start succeeds.
        var missed = context.Rule(AlarmRules.PlanRunMissed);
        var lastMissed = context.LastMissedRun;
        yield return Flag(missed, null, lastMissed is { } m && m.AgoSeconds < missed.Threshold, false,
            AlarmMessage.Of("plan_run_missed", ("plan", lastMissed?.Run.Plan ?? ""), ("pump", lastMissed?.Run.Pump ?? 0), ("reason", lastMissed?.Run.Reason ?? "")));

        var comms = context.Rule(AlarmRules.CommsLost);
        yield return Flag(comms, null, station.Status == StationStatus.CommsLost, station.Status is StationStatus.Unknown or StationStatus.Offline, AlarmMessage.Of("comms_lost"));
        var gateway = context.Rule(AlarmRules.GatewayOffline);
        yield return Flag(gateway, null, station.Status == StationStatus.Offline, station.Status == StationStatus.Unknown, AlarmMessage.Of("gateway_offline", ("gateway", station.Gateway ?? "")));

        // While the station is not reporting, its latest values are old: only the communication rules speak.
        var live = station.Status == StationStatus.Online;
        var mains = V("mains_present");
        yield return Flag(context.Rule(AlarmRules.MainsLost), null, mains == 0, !live || mains is null, AlarmMessage.Of("mains_lost"));

        var va = V("voltage_a");
        var vb = V("voltage_b");
        var vc = V("voltage_c");
        var imbalance = context.Rule(AlarmRules.PhaseImbalance);
        if (live && va is { } a && vb is { } b && vc is { } c && (a + b + c) > 0)
        {
            var mean = (a + b + c) / 3;
            var worst = new[] { a, b, c }.Max(x => Math.Abs(x - mean)) / mean * 100;
            var lost = Math.Min(a, Math.Min(b, c)) < mean * 0.5;
            yield return Higher(imbalance, null, worst, lost ? AlarmMessage.Of("phase_loss", ("a", a), ("b", b), ("c", c)) : AlarmMessage.Of("voltage_imbalance", ("percent", worst)));
        }
        else
        {
            yield return new ConditionReading(imbalance.Id, imbalance, null, ConditionState.Hold, 0, AlarmMessage.None);
        }

        var level = V("sump_level");
        var low = context.Rule(AlarmRules.LowSumpLevel);
        yield return level is { } l && live ? Lower(low, null, l, AlarmMessage.Of("low_sump_level", ("level", l))) : new ConditionReading(low.Id, low, null, ConditionState.Hold, 0, AlarmMessage.None);

        var anyRunning = false;
        var flow = V("flow_rate");
        foreach (var pump in Pumps(values))
        {
            var running = V(PumpKeys.For(pump, "running"));
            anyRunning |= running == 1;

            var fault = V(PumpKeys.For(pump, "fault"));
            var kinds = string.Join(",", AlarmMessage.ChineseFaultKinds.Keys.Where(k => V(PumpKeys.For(pump, k)) == 1));
            yield return Flag(context.Rule(AlarmRules.PumpFault), pump, fault == 1, !live || fault is null,
                kinds.Length > 0 ? AlarmMessage.Of("pump_fault_kinds", ("pump", pump), ("kinds", kinds)) : AlarmMessage.Of("pump_fault", ("pump", pump)));

            var current = V(PumpKeys.For(pump, "motor_current"));
            var over = context.Rule(AlarmRules.OverCurrent);
            if (!live || current is not { } i)
                yield return Hold(over, pump);
            else if (over.RelativeTo is null)
                yield return Higher(over, pump, i, AlarmMessage.Of("over_current", ("pump", pump), ("current", i)));
            else if (V(PumpKeys.For(pump, over.RelativeTo)) is { } rated && rated > 0)
                yield return Higher(over, pump, i / rated, AlarmMessage.Of("over_current_rated", ("pump", pump), ("current", i), ("rated", rated), ("percent", Math.Round(i / rated * 100))));
            else
                yield return Hold(over, pump); // the basis is not reported (or 0): no figure to compare with

            var dry = context.Rule(AlarmRules.DryRunning);
            if (!live || running is null)
                yield return Hold(dry, pump);
            else if (running == 0)
                yield return Keyed(dry, pump, ConditionState.Clear, 0, AlarmMessage.None);
            else if (level is { } lv && lv <= dry.Threshold || flow is { } f && f < 1)
                yield return Keyed(dry, pump, ConditionState.Raise, level ?? 0,
                    level is { } x && x <= dry.Threshold ? AlarmMessage.Of("dry_running_level", ("pump", pump), ("level", x)) : AlarmMessage.Of("dry_running_flow", ("pump", pump)));
            else if (level is null || level >= dry.ClearThreshold)
                yield return Keyed(dry, pump, ConditionState.Clear, level ?? 0, AlarmMessage.None);
            else
                yield return Hold(dry, pump);

            var last = context.LastCommand(pump);
            var failedStart = context.Rule(AlarmRules.FailedToStart);
            var failedStop = context.Rule(AlarmRules.FailedToStop);
            if (!live || running is null)
            {
                yield return Hold(failedStart, pump);
                yield return Hold(failedStop, pump);
            }
            else
            {
                yield return Keyed(failedStart, pump, last is { Action: "start", State: "failed" } && running == 0 ? ConditionState.Raise : ConditionState.Clear, 0, AlarmMessage.Of("failed_to_start", ("pump", pump)));
                yield return Keyed(failedStop, pump, last is { Action: "stop", State: "failed" } && running == 1 ? ConditionState.Raise : ConditionState.Clear, 0, AlarmMessage.Of("failed_to_stop", ("pump", pump)));
            }

            var unexpected = context.Rule(AlarmRules.UnexpectedRunning);
            var remote = V("remote_mode");
            if (!live || running is null || remote is null)
                yield return Hold(unexpected, pump);
            else
                yield return Keyed(unexpected, pump, running == 1 && remote == 1 && last?.Action != "start" ? ConditionState.Raise : ConditionState.Clear, 0, AlarmMessage.Of("unexpected_running", ("pump", pump)));
        }

        var frozen = context.Rule(AlarmRules.MeterFrozen);
        yield return !live || V("forward_energy") is null ? new ConditionReading(frozen.Id, frozen, null, ConditionState.Hold, 0, AlarmMessage.None)
            : anyRunning ? Higher(frozen, null, context.MeterStillSeconds, AlarmMessage.Of("meter_frozen", ("minutes", context.MeterStillSeconds / 60)))
            : new ConditionReading(frozen.Id, frozen, null, ConditionState.Clear, 0, AlarmMessage.None);
    }

    /// <summary>Pump numbers present in the values (pump{n}.running).</summary>
    public static IEnumerable<int> Pumps(IReadOnlyDictionary<string, (double Value, long TimestampMs)> values) =>
        values.Keys.Select(k => QuantityCatalog.TryParsePumpKey(k, out var n, out var name) && name == "running" ? n : 0).Where(n => n > 0).Order();

    private static string Key(AlarmRule rule, int? pump) => pump is null ? rule.Id : PumpKeys.For(pump.Value, rule.Id);

    private static ConditionReading Keyed(AlarmRule rule, int? pump, ConditionState state, double value, AlarmMessage message) => new(Key(rule, pump), rule, pump, state, value, message);

    private static ConditionReading Hold(AlarmRule rule, int? pump) => Keyed(rule, pump, ConditionState.Hold, 0, AlarmMessage.None);

    private static ConditionReading Flag(AlarmRule rule, int? pump, bool active, bool unknown, AlarmMessage message) =>
        Keyed(rule, pump, unknown ? ConditionState.Hold : active ? ConditionState.Raise : ConditionState.Clear, active ? 1 : 0, message);

    private static ConditionReading Higher(AlarmRule rule, int? pump, double value, AlarmMessage message) =>
        Keyed(rule, pump, value >= rule.Threshold ? ConditionState.Raise : value < rule.ClearThreshold ? ConditionState.Clear : ConditionState.Hold, value, message);

    private static ConditionReading Lower(AlarmRule rule, int? pump, double value, AlarmMessage message) =>
        Keyed(rule, pump, value <= rule.Threshold ? ConditionState.Raise : value > rule.ClearThreshold ? ConditionState.Clear : ConditionState.Hold, value, message);
}
