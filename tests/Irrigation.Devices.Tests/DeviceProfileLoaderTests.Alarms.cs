namespace Irrigation.Devices.Tests;

/// <summary>The "alarms" section: a profile's defaults for the server's alarm rules.</summary>
public sealed partial class DeviceProfileLoaderTests
{
    private static string WithAlarms(string alarms) => ProfileBuilder.PumpControllerWithCurrents().SetJson("alarms", alarms).ToString();

    [Fact]
    public void Parse_Alarms_LoadsEachRulesSettings()
    {
        var profile = DeviceProfileLoader.Parse(WithAlarms("""
            {
              "over_current": { "relativeTo": "rated_current", "threshold": 1.1, "clearThreshold": 1.0, "onDelaySeconds": 5 },
              "low_sump_level": { "threshold": 0.6, "severity": "major" },
              "meter_frozen": { "enabled": false }
            }
            """), File);

        Assert.Equal(new ProfileAlarmRule { RelativeTo = "rated_current", Threshold = 1.1, ClearThreshold = 1.0, OnDelaySeconds = 5 }, profile.Alarms["over_current"]);
        Assert.Equal(new ProfileAlarmRule { Threshold = 0.6, Severity = "major" }, profile.Alarms["low_sump_level"]);
        Assert.False(profile.Alarms["meter_frozen"].Enabled);
    }

    [Fact]
    public void Parse_ProfileWithoutAlarms_HasNone() =>
        Assert.Empty(DeviceProfileLoader.Parse("""
            { "id": "m", "manufacturer": "m", "model": "x", "kind": "Meter", "quantities": [ { "name": "voltage_a", "address": 0 } ] }
            """, File).Alarms);

    [Theory]
    [InlineData("""{ "over_current": { "relativeTo": "nameplate_current", "threshold": 1.1 } }""", "alarms.over_current.relativeTo", "'nameplate_current' is not a quantity of this profile")]
    [InlineData("""{ "over_current": { "relativeTo": "rated_current", "threshold": 0 } }""", "alarms.over_current.threshold", "a relative threshold must be a positive multiple")]
    [InlineData("""{ "over_current": { "relativeTo": "rated_current" } }""", "alarms.over_current.threshold", "a relative threshold must be a positive multiple")]
    [InlineData("""{ "low_sump_level": { "onDelaySeconds": -1 } }""", "alarms.low_sump_level.onDelaySeconds", "must be 0..86400 seconds")]
    [InlineData("""{ "low_sump_level": { "severity": "urgent" } }""", "alarms.low_sump_level.severity", "'urgent' must be critical, major or minor")]
    [InlineData("""{ "Low-Sump": { "threshold": 1 } }""", "alarms.Low-Sump", "is not a rule id")]
    [InlineData("""{ "low_sump_level": null }""", "alarms.low_sump_level", "a rule must be an object, not null")]
    public void Parse_BadAlarmSettings_NameTheField(string alarms, string field, string reason) =>
        AssertNames(Fails(WithAlarms(alarms)), field, reason);

    [Fact]
    public void Parse_UnknownAlarmField_IsRejected() =>
        Assert.Contains("thresold", Fails(WithAlarms("""{ "low_sump_level": { "thresold": 1 } }""")).Message, StringComparison.Ordinal);
}
