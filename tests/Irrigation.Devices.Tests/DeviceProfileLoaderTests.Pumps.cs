using Irrigation.Devices.Tests.TestSupport;

namespace Irrigation.Devices.Tests;

/// <summary>Bad profiles: pump controller rules.</summary>
public sealed partial class DeviceProfileLoaderTests
{
    [Fact]
    public void Parse_MinimalPumpController_Loads()
    {
        var profile = DeviceProfileLoader.Parse(ProfileBuilder.PumpController().Set("id", "tiny-pumps").ToString(), "tiny.json");

        Assert.Equal(2, profile.Pumps!.Quantities.Count);
    }

    [Fact]
    public void Parse_PumpControllerWithoutPumps_NamesThePumpsField()
    {
        var ex = Fails(ProfileBuilder.PumpController().Remove("pumps"));

        AssertNames(ex, "pumps", "needs a 'pumps' block");
    }

    [Fact]
    public void Parse_PumpFeedbackNamingMissingQuantity_NamesTheFeedbackField()
    {
        var ex = Fails(ProfileBuilder.PumpController().Set("pumps.feedback.running", "run"));

        AssertNames(ex, "pumps.feedback.running", "'run' is not a pump quantity");
    }

    [Fact]
    public void Parse_FeedbackNamingStationQuantity_NamesTheFeedbackField()
    {
        var ex = Fails(ProfileBuilder.PumpController().Set("pumps.feedback.fault", "remote_mode"));

        AssertNames(ex, "pumps.feedback.fault", "'remote_mode' is not a pump quantity");
    }

    [Fact]
    public void Parse_RegisterStrideSmallerThanPumpSpan_NamesTheStrideField()
    {
        var ex = Fails(ProfileBuilder.PumpController()
            .Set("pumps.maxPumps", 4).Set("pumps.registerStride", 3)
            .SetJson("pumps.quantities.2", """{ "name": "run_hours", "address": 12, "type": "UInt32" }"""));

        AssertNames(ex, "pumps.registerStride", "3 is smaller than one pump's registers (4)");
    }

    [Fact]
    public void Parse_PumpQuantityNamedLikeStationQuantity_NamesThePumpQuantities()
    {
        var ex = Fails(ProfileBuilder.PumpController().Set("quantities.0.name", "running"));

        AssertNames(ex, "pumps.quantities", "'running' is both a station and a pump quantity");
    }

    [Fact]
    public void Parse_SameStartAndStopCoil_NamesTheStopCoil()
    {
        var ex = Fails(ProfileBuilder.PumpController().Set("pumps.control.startCoil", 3).Set("pumps.control.stopCoil", 3));

        AssertNames(ex, "pumps.control.stopCoil", "start and stop coils must differ");
    }

    [Fact]
    public void Parse_StationSignalNamingMissingQuantity_NamesTheSignal()
    {
        var ex = Fails(ProfileBuilder.PumpController().SetJson("station", """{ "remote": "remote" }"""));

        AssertNames(ex, "station.remote", "'remote' is not a station quantity");
    }
}
