using Irrigation.Devices.Tests.TestSupport;

namespace Irrigation.Devices.Tests;

/// <summary>Bad profiles: quantity rules.</summary>
public sealed partial class DeviceProfileLoaderTests
{
    [Fact]
    public void Parse_NullQuantity_NamesIt()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "voltage_a", "address": 0 }, null ]"""));

        AssertNames(ex, "quantities[1]", "must be an object, not null");
    }

    [Fact]
    public void Parse_DuplicateQuantityName_NamesTheSecondOne()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [
                { "name": "voltage_a", "address": 0 },
                { "name": "voltage_b", "address": 1 },
                { "name": "voltage_a", "address": 2 }
              ]
            }
            """);

        AssertNames(ex, "quantities[2].name", "'voltage_a' is defined twice");
    }

    [Fact]
    public void Parse_UpperCaseQuantityName_NamesTheNameField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "Voltage A", "address": 0 } ]"""));

        AssertNames(ex, "quantities[0].name", "lower-case letters");
    }

    [Fact]
    public void Parse_BitIndex16_NamesTheBitField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "alarm", "address": 0, "type": "Bit", "bit": 16 } ]"""));

        AssertNames(ex, "quantities[0].bit", "bit 16: only Bit quantities take a bit index, 0..15");
    }

    [Fact]
    public void Parse_BitIndexOnUInt16_NamesTheBitField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "status", "address": 0, "type": "UInt16", "bit": 3 } ]"""));

        AssertNames(ex, "quantities[0].bit", "only Bit quantities take a bit index");
    }

    [Fact]
    public void Parse_CoilWithNumericType_NamesTheTypeField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "alarm", "function": "Coil", "address": 0, "type": "Float32" } ]"""));

        AssertNames(ex, "quantities[0].type", "single bits; type must be Bit");
    }

    [Fact]
    public void Parse_AddressPlusWidthPast65535_NamesTheAddressField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "energy", "address": "0xFFFF", "type": "Float32" } ]"""));

        AssertNames(ex, "quantities[0].address", "65535 + 2 registers runs past 65535");
    }

    [Fact]
    public void Parse_ZeroScale_NamesTheScaleField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "voltage_a", "address": 0, "scale": 0 } ]"""));

        AssertNames(ex, "quantities[0].scale", "must be a finite, non-zero number");
    }

    [Fact]
    public void Parse_NegativeDeadband_NamesTheDeadbandField()
    {
        var ex = Fails(ProfileBuilder.Meter().SetJson("quantities", """[ { "name": "voltage_a", "address": 0, "deadband": -1 } ]"""));

        AssertNames(ex, "quantities[0].deadband", "must be >= 0");
    }

    [Fact]
    public void Parse_ScaleByMissingQuantity_NamesTheScaleByField()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [
                { "name": "ct_ratio", "address": 0 },
                { "name": "current_a", "address": 1, "scale": 0.01, "scaleBy": ["pt_ratio"] }
              ]
            }
            """);

        AssertNames(ex, "quantities[1].scaleBy", "'pt_ratio' is not a quantity of this profile");
    }

    [Fact]
    public void Parse_ScaleByChain_NamesTheScaleByField()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [
                { "name": "ct_ratio", "address": 0 },
                { "name": "current_a", "address": 1, "scaleBy": ["ct_ratio"] },
                { "name": "power", "address": 2, "scaleBy": ["current_a"] }
              ]
            }
            """);

        AssertNames(ex, "quantities[2].scaleBy", "chains are not allowed");
    }
}
