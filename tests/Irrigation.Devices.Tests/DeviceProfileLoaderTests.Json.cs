using Irrigation.Devices.Tests.TestSupport;

namespace Irrigation.Devices.Tests;

/// <summary>Bad profiles: JSON shape and profile-wide settings.</summary>
public sealed partial class DeviceProfileLoaderTests
{
    [Fact]
    public void Parse_UnknownTypeName_NamesTheTypeField()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [ { "name": "voltage_a", "address": 0, "type": "flaot32" } ]
            }
            """);

        AssertNames(ex, "quantities[0].type", "The JSON value could not be converted to Irrigation.Modbus.Values.RegisterType. (line 3)");
    }

    [Fact]
    public void Parse_UnknownField_NamesTheMisspeltField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "voltage_a", "adress": 0 } ]"""));

        AssertNames(ex, "quantities[0].adress", "'adress' could not be mapped");
    }

    [Fact]
    public void Parse_QuantityWithoutAddress_NamesTheQuantityAndTheMissingField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "voltage_a", "type": "UInt16" } ]"""));

        AssertNames(ex, "quantities[0].address", "is required in a Modbus profile");
    }

    [Fact]
    public void Parse_QuantityWithoutName_NamesTheQuantityAndTheMissingField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "voltage_a", "address": 0 }, { "address": 1 } ]"""));

        AssertNames(ex, "quantities[1]", "missing required properties including: 'name'");
    }

    [Fact]
    public void Parse_InvalidHexAddress_NamesTheAddressField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "voltage_a", "address": "0x20G6" } ]"""));

        AssertNames(ex, "quantities[0].address", "expected an address 0..65535");
    }

    [Fact]
    public void Parse_AddressAbove65535_NamesTheAddressField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "voltage_a", "address": 65536 } ]"""));

        AssertNames(ex, "quantities[0].address", "expected an address 0..65535");
    }

    [Fact]
    public void Parse_InvalidJsonSyntax_ReportsTheLine()
    {
        var ex = Fails("""
            {
              "id": "bad",
              "manufacturer": "m"
              "model": "x",
              "quantities": [ { "name": "voltage_a", "address": 0 } ]
            }
            """);

        Assert.Equal(File, ex.File);
        Assert.Contains("(line 4)", ex.Reason, StringComparison.Ordinal);
        Assert.StartsWith($"{File}: {ex.Field}: ", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(ex.InnerException);
    }

    [Fact]
    public void Parse_EmptyDocument_NamesTheDocument()
    {
        var ex = Fails("null");

        AssertNames(ex, "(document)", "empty or null");
    }

    // ---- profile-wide ----------------------------------------------------------------------------------

    [Fact]
    public void Parse_MaxRegisters126_NamesTheReadPlanField()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "readPlan": { "maxRegisters": 126 },
              "quantities": [ { "name": "voltage_a", "address": 0 } ]
            }
            """);

        AssertNames(ex, "readPlan.maxRegisters", "126 is outside 1..125");
    }

    [Fact]
    public void Parse_MaxGapNotBelowMaxRegisters_NamesTheReadPlanField()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "readPlan": { "maxGap": 10, "maxRegisters": 10 },
              "quantities": [ { "name": "voltage_a", "address": 0 } ]
            }
            """);

        AssertNames(ex, "readPlan.maxGap", "must be 0..maxRegisters-1");
    }

    [Fact]
    public void Parse_UnitId0_NamesTheUnitField()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter", "defaultUnitId": 0,
              "quantities": [ { "name": "voltage_a", "address": 0 } ]
            }
            """);

        AssertNames(ex, "defaultUnitId", "0 is outside 1..247");
    }

    [Fact]
    public void Parse_IdWithUpperCase_NamesTheIdField()
    {
        var ex = Fails("""
            {
              "id": "Bad Meter", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [ { "name": "voltage_a", "address": 0 } ]
            }
            """);

        AssertNames(ex, "id", "'Bad Meter' must be lower-case");
    }
}
