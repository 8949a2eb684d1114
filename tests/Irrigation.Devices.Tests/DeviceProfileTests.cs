using Irrigation.Devices.Tests.TestSupport;
using Irrigation.Modbus.Values;

namespace Irrigation.Devices.Tests;

/// <summary>Options pick among register maps where sources disagree; pump blocks repeat at their stride.</summary>
public sealed class DeviceProfileTests
{
    [Fact]
    public void Resolve_NoChoices_TakesEveryDefault()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.Dtsu666);

        Assert.Equal(
            new Dictionary<string, string> { ["energyRegister"] = "0x401E", ["readFunction"] = "holding", ["wordOrder"] = "ABCD" },
            resolved.Choices);
        Assert.Equal(0x401E, Energy(resolved).Address);
        Assert.All(resolved.Quantities, q => Assert.Equal(RegisterFunction.Holding, q.Function));
        Assert.All(resolved.Quantities, q => Assert.Equal(WordOrder.ABCD, q.WordOrder));
    }

    [Theory]
    [InlineData("0x401E", 0x401E)]
    [InlineData("0x101E", 0x101E)]
    [InlineData("0x4000", 0x4000)]
    public void Resolve_Dtsu666EnergyRegister_MovesForwardEnergyOnly(string choice, int address)
    {
        var defaults = ShippedProfiles.Resolve(ShippedProfiles.Dtsu666);
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, $"energyRegister={choice}");

        Assert.Equal(address, Energy(resolved).Address);
        Assert.Equal(
            defaults.Quantities.Where(q => q.Name != "forward_energy"),
            resolved.Quantities.Where(q => q.Name != "forward_energy"));
    }

    [Fact]
    public void Resolve_Dtsu666ReadFunctionInput_SwitchesEveryQuantityToInput()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, "readFunction=input");

        Assert.Equal(13, resolved.Quantities.Count);
        Assert.All(resolved.Quantities, q => Assert.Equal(RegisterFunction.Input, q.Function));
        Assert.Equal(0x2006, resolved.Quantities.Single(q => q.Name == "voltage_a").Address);
    }

    [Theory]
    [InlineData(WordOrder.CDAB)]
    [InlineData(WordOrder.BADC)]
    [InlineData(WordOrder.DCBA)]
    public void Resolve_Dtsu666WordOrder_SwitchesEveryFloat(WordOrder order)
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, $"wordOrder={order}");

        Assert.All(resolved.Quantities, q => Assert.Equal(RegisterType.Float32, q.Type));
        Assert.All(resolved.Quantities, q => Assert.Equal(order, q.WordOrder));
    }

    [Fact]
    public void Resolve_Adl400WordOrderCdab_SwitchesThe32BitValues()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.Adl400, "wordOrder=CDAB");

        Assert.Equal(WordOrder.CDAB, resolved.Quantities.Single(q => q.Name == "active_power").WordOrder);
        Assert.Equal(WordOrder.CDAB, resolved.Quantities.Single(q => q.Name == "forward_energy").WordOrder);
    }

    [Fact]
    public void Resolve_Adl400EnergySide_ChangesForwardEnergyScaleBy()
    {
        Assert.Empty(ShippedProfiles.Resolve(ShippedProfiles.Adl400).Quantities.Single(q => q.Name == "forward_energy").ScaleBy);
        Assert.Equal(
            ["pt_ratio", "ct_ratio"],
            ShippedProfiles.Resolve(ShippedProfiles.Adl400, "energySide=secondary").Quantities.Single(q => q.Name == "forward_energy").ScaleBy);
    }

    [Fact]
    public void Resolve_SeveralOptions_AppliesEach()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, "energyRegister=0x101E", "readFunction=input", "wordOrder=CDAB");
        var energy = Energy(resolved);

        Assert.Equal(0x101E, energy.Address);
        Assert.Equal(RegisterFunction.Input, energy.Function);
        Assert.Equal(WordOrder.CDAB, energy.WordOrder);
    }

    [Fact]
    public void Resolve_UnknownOption_NamesTheOption()
    {
        var profile = ShippedProfiles.Get(ShippedProfiles.Dtsu666);

        var ex = Assert.Throws<DeviceProfileException>(() => profile.Resolve(new Dictionary<string, string> { ["byteOrder"] = "ABCD" }));

        Assert.Equal("options.byteOrder", ex.Field);
        Assert.Equal(profile.Source, ex.File);
        Assert.Contains("has no option 'byteOrder' (it has: energyRegister, readFunction, wordOrder)", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_UnknownChoice_NamesTheOptionAndItsChoices()
    {
        var profile = ShippedProfiles.Get(ShippedProfiles.Dtsu666);

        var ex = Assert.Throws<DeviceProfileException>(() => profile.Resolve(new Dictionary<string, string> { ["energyRegister"] = "0x401F" }));

        Assert.Equal("options.energyRegister", ex.Field);
        Assert.Contains("'0x401F' is not a choice of option 'energyRegister' (choices: 0x401E, 0x101E, 0x4000)", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_OptionOnProfileWithoutOptions_NamesTheOption()
    {
        var profile = DeviceProfileLoader.Parse("""
            { "id": "plain", "manufacturer": "m", "model": "x", "quantities": [ { "name": "voltage_a", "address": 0 } ] }
            """, "plain.json");

        var ex = Assert.Throws<DeviceProfileException>(() => profile.Resolve(new Dictionary<string, string> { ["wordOrder"] = "CDAB" }));

        Assert.Equal("options.wordOrder", ex.Field);
        Assert.Contains("(it has: none)", ex.Reason, StringComparison.Ordinal);
    }

    // ---- pump controller -------------------------------------------------------------------------------

    [Fact]
    public void ControlFor_DefaultCoilMode_StartsAtCoil0Then8Then16()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.PumpController);

        Assert.Equal("coil", resolved.Choices["control"]);
        Assert.Equal((PumpControlMode.CoilPulse, (ushort)0, (ushort)1, (ushort?)2), Coils(resolved.ControlFor(1)));
        Assert.Equal((PumpControlMode.CoilPulse, (ushort)8, (ushort)9, (ushort?)10), Coils(resolved.ControlFor(2)));
        Assert.Equal((PumpControlMode.CoilPulse, (ushort)16, (ushort)17, (ushort?)18), Coils(resolved.ControlFor(3)));
    }

    [Fact]
    public void ControlFor_WordMode_UsesRegister15ThenEveryTenth()
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.PumpController, "control=word");

        var pump1 = resolved.ControlFor(1);
        var pump2 = resolved.ControlFor(2);

        Assert.Equal(PumpControlMode.ControlWord, pump1.Mode);
        Assert.Equal(15, pump1.Register);
        Assert.Equal(25, pump2.Register);
        Assert.Equal(45, resolved.ControlFor(4).Register);
        Assert.Equal((ushort)1, pump2.StartValue);
        Assert.Equal((ushort)2, pump2.StopValue);
        Assert.Equal((ushort)4, pump2.ResetValue);
        Assert.Null(pump2.ResetCoil);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void ControlFor_PumpOutsideMaxPumps_Throws(int pump)
    {
        var resolved = ShippedProfiles.Resolve(ShippedProfiles.PumpController);

        Assert.Throws<ArgumentOutOfRangeException>(() => resolved.ControlFor(pump));
    }

    [Fact]
    public void ControlFor_Meter_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShippedProfiles.Resolve(ShippedProfiles.Dtsu666).ControlFor(1));
    }

    [Fact]
    public void Expand_TwoPumps_AddsPumpQuantitiesAtTheStrideWithPumpKeys()
    {
        var expanded = ShippedProfiles.Resolve(ShippedProfiles.PumpController).Expand(2);

        Assert.Equal(7 + (2 * 9), expanded.Count);
        Assert.Equal(
            ["mains_present", "remote_mode", "door_open", "sump_level", "outlet_pressure", "flow_rate", "flow_total"],
            expanded.Take(7).Select(q => q.Key));
        var running2 = Assert.Single(expanded, q => q.Key == "pump2.running");
        Assert.Equal(20, running2.Definition.Address);
        Assert.Equal(2, running2.Pump);
        Assert.Equal("running", running2.Definition.Name);
        Assert.Equal(10, running2.Template.Address);
        Assert.Equal(23, Assert.Single(expanded, q => q.Key == "pump2.run_hours").Definition.Address);
        Assert.Equal(13, Assert.Single(expanded, q => q.Key == "pump1.run_hours").Definition.Address);
        Assert.Null(Assert.Single(expanded, q => q.Key == "sump_level").Pump);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    public void Expand_PumpCountOutsideRange_Throws(int pumps)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShippedProfiles.Resolve(ShippedProfiles.PumpController).Expand(pumps));
    }

    [Fact]
    public void Expand_PumpsOnMeter_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShippedProfiles.Resolve(ShippedProfiles.Sdm630).Expand(1));
    }

    private static (PumpControlMode Mode, ushort Start, ushort Stop, ushort? Reset) Coils(PumpControl c) => (c.Mode, c.StartCoil, c.StopCoil, c.ResetCoil);

    private static QuantityDefinition Energy(ResolvedProfile resolved) => resolved.Quantities.Single(q => q.Name == "forward_energy");
}
