using Irrigation.Server.Profiles;
using Microsoft.Extensions.Options;
using System.Text.Json;
using Irrigation.Devices;
using Irrigation.Server.Alarms;
using Irrigation.Server.State;
using Irrigation.Server.Stations;
using Irrigation.Contracts;

namespace Irrigation.Server.Tests;

/// <summary>The alarm rules and tracker without any process: on-delay, hysteresis, re-raise, no flapping, message bodies.</summary>
public sealed class AlarmRuleTests
{
    private static readonly AlarmOptions Defaults = new();

    private static StationSnapshot Station(string status = "online", params (string Key, double Value)[] values) =>
        new("st001", "城东机埠", "城东镇", JsonSerializer.Deserialize<StationStatus>($"\"{status}\""), "gw-01", 1, 0, values.ToDictionary(v => v.Key, v => (v.Value, 1L), StringComparer.Ordinal));

    private static ConditionContext Context(LastPumpCommand? last = null, double meterStill = 0, AlarmOptions? options = null) =>
        new(id => AlarmRules.For(id, "st001", options ?? Defaults), _ => last, meterStill);

    private static ConditionReading Reading(StationSnapshot station, string key, ConditionContext? context = null) =>
        AlarmConditions.Evaluate(station, context ?? Context()).Single(r => r.Key == key);

    [Fact]
    public void Tracker_RaiseMustPersistForTheOnDelay_ABlipNeverRaises()
    {
        var tracker = new AlarmTracker();
        var delay = TimeSpan.FromSeconds(5);

        Assert.Equal(AlarmTransition.None, tracker.Observe(ConditionState.Raise, delay, 0));
        Assert.Equal(AlarmTransition.None, tracker.Observe(ConditionState.Raise, delay, 4_000));
        Assert.Equal(AlarmTransition.None, tracker.Observe(ConditionState.Clear, delay, 4_500)); // blip over: delay starts again
        Assert.Equal(AlarmTransition.None, tracker.Observe(ConditionState.Raise, delay, 5_000));
        Assert.Equal(AlarmTransition.None, tracker.Observe(ConditionState.Raise, delay, 9_999));
        Assert.Equal(AlarmTransition.Raise, tracker.Observe(ConditionState.Raise, delay, 10_000));
        Assert.Equal(AlarmTransition.None, tracker.Observe(ConditionState.Raise, delay, 11_000));
        Assert.Equal(AlarmTransition.None, tracker.Observe(ConditionState.Hold, delay, 12_000));
        Assert.Equal(AlarmTransition.Clear, tracker.Observe(ConditionState.Clear, delay, 13_000));
        // The condition returns: a new alarm, after the on-delay again.
        Assert.Equal(AlarmTransition.None, tracker.Observe(ConditionState.Raise, delay, 14_000));
        Assert.Equal(AlarmTransition.Raise, tracker.Observe(ConditionState.Raise, delay, 19_000));
    }

    [Fact]
    public void OverCurrent_RaisesAtThresholdHoldsInTheBandClearsBelowTheClearThreshold()
    {
        ConditionState At(double amps) => Reading(Station("online", ("pump1.running", 1), ("pump1.motor_current", amps)), "pump1.over_current").State;

        Assert.Equal(ConditionState.Raise, At(40));
        Assert.Equal(ConditionState.Raise, At(55.5));
        Assert.Equal(ConditionState.Hold, At(39.9));
        Assert.Equal(ConditionState.Hold, At(36));
        Assert.Equal(ConditionState.Clear, At(35.9));
    }

    [Fact]
    public void NoisySignalAroundTheThreshold_RaisesOnceAndNeverFlaps()
    {
        var tracker = new AlarmTracker();
        var random = new Random(7);
        var transitions = new List<AlarmTransition>();
        for (var t = 0; t < 600; t++)
        {
            var amps = 40 + (random.NextDouble() - 0.5) * 3; // 38.5..41.5 A, around the 40 A threshold
            var reading = Reading(Station("online", ("pump1.running", 1), ("pump1.motor_current", amps)), "pump1.over_current");
            var transition = tracker.Observe(reading.State, reading.Rule.OnDelay, t * 1000L);
            if (transition != AlarmTransition.None)
                transitions.Add(transition);
        }

        Assert.Equal([AlarmTransition.Raise], transitions);
    }

    [Fact]
    public void LowSumpLevel_LowerIsWorse_WithItsOwnClearLevel()
    {
        ConditionState At(double m) => Reading(Station("online", ("sump_level", m)), AlarmRules.LowSumpLevel).State;

        Assert.Equal(ConditionState.Raise, At(0.8));
        Assert.Equal(ConditionState.Hold, At(0.9));
        Assert.Equal(ConditionState.Clear, At(1.01));
    }

    [Fact]
    public void PhaseLoss_ShowsAsImbalanceWithAPhaseLossMessage()
    {
        var reading = Reading(Station("online", ("voltage_a", 230), ("voltage_b", 229), ("voltage_c", 0)), AlarmRules.PhaseImbalance);
        var balanced = Reading(Station("online", ("voltage_a", 230), ("voltage_b", 229), ("voltage_c", 231)), AlarmRules.PhaseImbalance);

        Assert.Equal(ConditionState.Raise, reading.State);
        Assert.StartsWith("缺相", reading.Message.Text, StringComparison.Ordinal);
        Assert.Equal(ConditionState.Clear, balanced.State);
    }

    [Fact]
    public void DryRunning_RunningWithLowSump_Raise_Stopped_Clear()
    {
        Assert.Equal(ConditionState.Raise, Reading(Station("online", ("pump1.running", 1), ("sump_level", 0.3)), "pump1.dry_running").State);
        Assert.Equal(ConditionState.Raise, Reading(Station("online", ("pump1.running", 1), ("sump_level", 2.0), ("flow_rate", 0.2)), "pump1.dry_running").State);
        Assert.Equal(ConditionState.Hold, Reading(Station("online", ("pump1.running", 1), ("sump_level", 0.6), ("flow_rate", 300)), "pump1.dry_running").State);
        Assert.Equal(ConditionState.Clear, Reading(Station("online", ("pump1.running", 0), ("sump_level", 0.3)), "pump1.dry_running").State);
    }

    [Fact]
    public void CommandFeedbackRules_FailedStartWhileStopped_UnexpectedRunWithoutAStartInRemoteMode()
    {
        var stopped = Station("online", ("pump1.running", 0), ("remote_mode", 1));
        var running = Station("online", ("pump1.running", 1), ("remote_mode", 1));
        var runningLocal = Station("online", ("pump1.running", 1), ("remote_mode", 0));

        Assert.Equal(ConditionState.Raise, Reading(stopped, "pump1.failed_to_start", Context(new LastPumpCommand("start", "failed"))).State);
        Assert.Equal(ConditionState.Clear, Reading(running, "pump1.failed_to_start", Context(new LastPumpCommand("start", "failed"))).State);
        Assert.Equal(ConditionState.Raise, Reading(running, "pump1.failed_to_stop", Context(new LastPumpCommand("stop", "failed"))).State);
        Assert.Equal(ConditionState.Raise, Reading(running, "pump1.unexpected_running", Context(new LastPumpCommand("stop", "succeeded"))).State);
        Assert.Equal(ConditionState.Raise, Reading(running, "pump1.unexpected_running", Context(null)).State);
        Assert.Equal(ConditionState.Clear, Reading(running, "pump1.unexpected_running", Context(new LastPumpCommand("start", "succeeded"))).State);
        Assert.Equal(ConditionState.Clear, Reading(runningLocal, "pump1.unexpected_running", Context(null)).State);
    }

    [Fact]
    public void Offline_ValueRulesHold_CommsRulesSpeak_MeterFrozenOnlyWhileRunning()
    {
        var offline = Station("offline", ("mains_present", 0), ("pump1.running", 1), ("pump1.fault", 1), ("forward_energy", 10));

        Assert.Equal(ConditionState.Raise, Reading(offline, AlarmRules.GatewayOffline).State);
        Assert.Equal(ConditionState.Hold, Reading(offline, AlarmRules.MainsLost).State);
        Assert.Equal(ConditionState.Hold, Reading(offline, "pump1.pump_fault").State);
        Assert.Equal(ConditionState.Raise, Reading(Station("comms_lost"), AlarmRules.CommsLost).State);
        var running = Station("online", ("pump1.running", 1), ("forward_energy", 10));
        Assert.Equal(ConditionState.Raise, Reading(running, AlarmRules.MeterFrozen, Context(meterStill: 600)).State);
        Assert.Equal(ConditionState.Clear, Reading(running, AlarmRules.MeterFrozen, Context(meterStill: 0)).State);
        Assert.Equal(ConditionState.Clear, Reading(Station("online", ("pump1.running", 0), ("forward_energy", 10)), AlarmRules.MeterFrozen, Context(meterStill: 900)).State);
    }

    [Fact]
    public void Overrides_StationBeatsRuleBeatsDefault()
    {
        var options = new AlarmOptions();
        options.Rules[AlarmRules.OverCurrent] = new AlarmRuleOptions { Threshold = 50, ClearThreshold = 45, Severity = AlarmSeverity.Critical };
        options.Stations["st002"] = new Dictionary<string, AlarmRuleOptions> { [AlarmRules.OverCurrent] = new() { Threshold = 30, ClearThreshold = 25 } };

        var st001 = AlarmRules.For(AlarmRules.OverCurrent, "st001", options);
        var st002 = AlarmRules.For(AlarmRules.OverCurrent, "st002", options);

        Assert.Equal((50.0, 45.0, AlarmSeverity.Critical), (st001.Threshold, st001.ClearThreshold, st001.Severity));
        Assert.Equal((30.0, 25.0, AlarmSeverity.Critical), (st002.Threshold, st002.ClearThreshold, st002.Severity));
        options.Rules["no_such_rule"] = new AlarmRuleOptions();
        Assert.Throws<ArgumentException>(options.Validate);
    }

    private static DeviceProfile Profile(string id, string alarmsJson) =>
        DeviceProfileLoader.Parse(ProfileBuilder.PumpControllerWithCurrents().Set("id", id).SetJson("alarms", alarmsJson).ToString(), id + ".json");

    [Fact]
    public void Layers_DefaultThenRulesThenProfileFileThenProfileSettingThenStation()
    {
        var controller = Profile("ctl", """{ "over_current": { "relativeTo": "rated_current", "threshold": 1.1, "clearThreshold": 1.0, "onDelaySeconds": 3 }, "low_sump_level": { "threshold": 1.5, "clearThreshold": 1.8 } }""");
        var options = new AlarmOptions();
        options.Rules[AlarmRules.OverCurrent] = new AlarmRuleOptions { Severity = AlarmSeverity.Critical };
        options.Rules[AlarmRules.LowSumpLevel] = new AlarmRuleOptions { Threshold = 0.5 }; // the profile beats the bureau-wide figure
        options.Profiles["ctl"] = new Dictionary<string, AlarmRuleOptions> { [AlarmRules.OverCurrent] = new() { Threshold = 1.15, RelativeTo = "rated_current" } };
        options.Stations["st009"] = new Dictionary<string, AlarmRuleOptions> { [AlarmRules.OverCurrent] = new() { Threshold = 45, ClearThreshold = 40 } };

        var plain = AlarmRules.For(AlarmRules.OverCurrent, "st001", options);
        var fromFile = AlarmRules.For(AlarmRules.OverCurrent, "st001", new AlarmOptions(), [controller]);
        var withSetting = AlarmRules.For(AlarmRules.OverCurrent, "st001", options, [controller]);
        var station = AlarmRules.For(AlarmRules.OverCurrent, "st009", options, [controller]);
        var sump = AlarmRules.For(AlarmRules.LowSumpLevel, "st001", options, [controller]);

        Assert.Equal((40.0, 36.0, (string?)null, AlarmSeverity.Critical), (plain.Threshold, plain.ClearThreshold, plain.RelativeTo, plain.Severity));
        Assert.Equal((1.1, 1.0, "rated_current", TimeSpan.FromSeconds(3)), (fromFile.Threshold, fromFile.ClearThreshold, fromFile.RelativeTo, fromFile.OnDelay));
        // A setting with a threshold but no clear threshold clears at the threshold; the file's on-delay and the rule's severity stay.
        Assert.Equal((1.15, 1.15, "rated_current", TimeSpan.FromSeconds(3), AlarmSeverity.Critical), (withSetting.Threshold, withSetting.ClearThreshold, withSetting.RelativeTo, withSetting.OnDelay, withSetting.Severity));
        // A station's threshold without RelativeTo is in amps, whatever the layers below said.
        Assert.Equal((45.0, 40.0, null), (station.Threshold, station.ClearThreshold, station.RelativeTo));
        Assert.Equal((1.5, 1.8), (sump.Threshold, sump.ClearThreshold));
    }

    [Fact]
    public void OverCurrent_RelativeToRatedCurrent_EachMotorAgainstItsOwnRating()
    {
        var controller = Profile("ctl", """{ "over_current": { "relativeTo": "rated_current", "threshold": 1.1, "clearThreshold": 1.0 } }""");
        var options = new AlarmOptions();
        ConditionReading At(double amps, double? rated)
        {
            var values = new List<(string, double)> { ("pump1.running", 1), ("pump1.motor_current", amps) };
            if (rated is { } r)
                values.Add(("pump1.rated_current", r));
            return Reading(Station("online", [.. values]), "pump1.over_current", new ConditionContext(id => AlarmRules.For(id, "st001", options, [controller]), _ => null, 0));
        }

        // A 30 kW motor (59.4 A rated) at its normal 57.5 A is fine; 40 A in absolute terms would have raised.
        Assert.Equal(ConditionState.Clear, At(57.5, 59.4).State);
        var over = At(66.0, 59.4);
        Assert.Equal(ConditionState.Raise, over.State);
        Assert.Equal(66.0 / 59.4, over.Value, 9);
        Assert.Equal("1号泵电流 66 A，为额定 59.4 A 的 111%", over.Message.Text);
        Assert.Equal("over_current_rated", over.Message.Code);
        Assert.Equal(new Dictionary<string, string> { ["pump"] = "1", ["current"] = "66", ["rated"] = "59.4", ["percent"] = "111" }, over.Message.Args);
        Assert.Equal(ConditionState.Hold, At(62.0, 59.4).State);        // 104 %: inside the hysteresis band
        Assert.Equal(ConditionState.Raise, At(16.5, 14.8).State);       // a 7.5 kW motor at 111 %
        Assert.Equal(ConditionState.Hold, At(66.0, null).State);        // no rating reported: nothing to compare with
        Assert.Equal(ConditionState.Hold, At(66.0, 0).State);
    }

    [Fact]
    public void RuleBook_ChecksProfilesAndSettingsAtStartUp_ResolvesEachStationFromItsDevices()
    {
        var controller = Profile("ctl", """{ "over_current": { "relativeTo": "rated_current", "threshold": 1.1 } }""");
        var meter = Profile("mtr", """{ "phase_imbalance": { "threshold": 8, "clearThreshold": 5 } }""");
        var library = new DeviceProfileLibrary(new Dictionary<string, DeviceProfile> { ["ctl"] = controller, ["mtr"] = meter });
        var stations = new StationRegistry(acceptUnknown: true);
        stations.Add(new StationEntry("st001", "一号", "城东镇", ["mtr", "ctl"]));
        stations.Add(new StationEntry("st002", "二号", "城东镇", ["mtr"]));

        var book = new AlarmRuleBook(Options.Create(new AlarmOptions()), stations, library);

        Assert.Equal("rated_current", book.For(AlarmRules.OverCurrent, "st001").RelativeTo);
        Assert.Null(book.For(AlarmRules.OverCurrent, "st002").RelativeTo);
        Assert.Equal(8, book.For(AlarmRules.PhaseImbalance, "st002").Threshold);
        Assert.Equal(10, book.For(AlarmRules.PhaseImbalance, "unknown-station").Threshold);

        var unknownRule = new DeviceProfileLibrary(new Dictionary<string, DeviceProfile> { ["x"] = Profile("x", """{ "over_heating": { "threshold": 90 } }""") });
        Assert.Contains("alarms.over_heating: unknown rule", Assert.Throws<InvalidDataException>(() => new AlarmRuleBook(Options.Create(new AlarmOptions()), stations, unknownRule)).Message, StringComparison.Ordinal);
        var relativeSump = new DeviceProfileLibrary(new Dictionary<string, DeviceProfile> { ["x"] = Profile("x", """{ "low_sump_level": { "relativeTo": "rated_current", "threshold": 1.1 } }""") });
        Assert.Contains("supported only by over_current", Assert.Throws<InvalidDataException>(() => new AlarmRuleBook(Options.Create(new AlarmOptions()), stations, relativeSump)).Message, StringComparison.Ordinal);
        var unknownProfile = new AlarmOptions();
        unknownProfile.Profiles["no-such-meter"] = new Dictionary<string, AlarmRuleOptions> { [AlarmRules.OverCurrent] = new() { Threshold = 50 } };
        Assert.Contains("unknown profile 'no-such-meter'", Assert.Throws<ArgumentException>(() => new AlarmRuleBook(Options.Create(unknownProfile), stations, library)).Message, StringComparison.Ordinal);
        var badBasis = new AlarmOptions();
        badBasis.Profiles["mtr"] = new Dictionary<string, AlarmRuleOptions> { [AlarmRules.OverCurrent] = new() { Threshold = 1.1, RelativeTo = "nameplate_current" } };
        Assert.Contains("not a quantity of that profile", Assert.Throws<ArgumentException>(() => new AlarmRuleBook(Options.Create(badBasis), stations, library)).Message, StringComparison.Ordinal);
        var relativeWithoutThreshold = new AlarmOptions();
        relativeWithoutThreshold.Stations["st001"] = new Dictionary<string, AlarmRuleOptions> { [AlarmRules.OverCurrent] = new() { RelativeTo = "rated_current" } };
        Assert.Contains("needs a positive Threshold", Assert.Throws<ArgumentException>(relativeWithoutThreshold.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedPumpControllerProfile_OverCurrentRelativeToRatedCurrent()
    {
        var library = new DeviceProfileLibrary(DeviceProfileLoader.LoadDirectory(Path.Combine(Irrigation.Testing.RepoPaths.Root, "profiles")));
        var stations = new StationRegistry(acceptUnknown: true);
        stations.Add(new StationEntry("st001", "一号", "城东镇", ["chint-dtsu666", "irrigation-pump-controller"]));

        var rule = new AlarmRuleBook(Options.Create(new AlarmOptions()), stations, library).For(AlarmRules.OverCurrent, "st001");

        Assert.Equal(("rated_current", 1.1, 1.0, TimeSpan.FromSeconds(5)), (rule.RelativeTo, rule.Threshold, rule.ClearThreshold, rule.OnDelay));
    }

    [Fact]
    public void RobotBodies_WeComAndDingTalkMarkdownShapes_BeijingTime()
    {
        var alarm = new AlarmView("a1", "st001", "城东机埠", "pump_fault", 1, "pump1.pump_fault", AlarmSeverity.Critical, "水泵故障", "Pump fault", "1号泵故障：干转跳闸", 1, "active",
            new DateTimeOffset(2026, 11, 21, 16, 30, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), null, null, null, null,
            "pump_fault_kinds", new Dictionary<string, string> { ["pump"] = "1", ["kinds"] = "fault_dry_run" });
        var notification = new AlarmNotification("raised", alarm);

        var wecom = JsonDocument.Parse(AlarmNotifier.BodyJson("wecom", notification)).RootElement;
        var dingtalk = JsonDocument.Parse(AlarmNotifier.BodyJson("dingtalk", notification)).RootElement;

        Assert.Equal("markdown", wecom.GetProperty("msgtype").GetString());
        var content = wecom.GetProperty("markdown").GetProperty("content").GetString()!;
        Assert.Equal("### 【告警】水泵故障\n> 机埠：城东机埠（st001）\n> 级别：紧急\n> 详情：1号泵故障：干转跳闸\n> 时间：2026-11-22 00:30:00（北京时间）\n", content);
        Assert.Equal("markdown", dingtalk.GetProperty("msgtype").GetString());
        Assert.Equal("告警：城东机埠 水泵故障", dingtalk.GetProperty("markdown").GetProperty("title").GetString());
        Assert.Equal(content, dingtalk.GetProperty("markdown").GetProperty("text").GetString());
    }

    /// <summary>The generic format carries the alarm as the API shows it (camelCase), so one parser serves both.</summary>
    [Fact]
    public void JsonWebhookBody_EventAndTheApisAlarm()
    {
        var alarm = new AlarmView("a1", "st001", "城东机埠", "mains_lost", null, "mains_lost", AlarmSeverity.Critical, "市电失电", "Mains power lost", "市电失电", 0, "active",
            1_763_742_600_000, null, null, null, null, "mains_lost", new Dictionary<string, string>());

        var body = AlarmNotifier.BodyJson("json", new AlarmNotification("raised", alarm));

        Assert.Equal(
            """{"event":"raised","alarm":{"id":"a1","station":"st001","stationName":"城东机埠","rule":"mains_lost","pump":null,"key":"mains_lost","severity":"critical","title":"市电失电","titleEn":"Mains power lost","message":"市电失电","value":0,"state":"active","raisedAt":1763742600000,"acknowledgedAt":null,"acknowledgedBy":null,"ackComment":null,"clearedAt":null,"messageCode":"mains_lost","messageArgs":{}}}""",
            body);
    }
}
