using Irrigation.Devices.Tests.TestSupport;

namespace Irrigation.Devices.Tests;

/// <summary>Bad profiles: option rules.</summary>
public sealed partial class DeviceProfileLoaderTests
{
    [Fact]
    public void Parse_OptionDefaultNotAmongChoices_NamesTheDefault()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [ { "name": "energy", "address": 0, "type": "Float32" } ],
              "options": {
                "wordOrder": {
                  "description": "d",
                  "default": "ABDC",
                  "choices": {
                    "ABCD": { "quantities": { "*": { "wordOrder": "ABCD" } } },
                    "CDAB": { "quantities": { "*": { "wordOrder": "CDAB" } } }
                  }
                }
              }
            }
            """);

        AssertNames(ex, "options.wordOrder.default", "'ABDC' is not one of its choices (ABCD, CDAB)");
    }

    [Fact]
    public void Parse_OptionOverrideNamingMissingQuantity_NamesTheOverride()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [ { "name": "forward_energy", "address": 0, "type": "Float32" } ],
              "options": {
                "energyRegister": {
                  "description": "d",
                  "default": "low",
                  "choices": {
                    "low": { "quantities": { "forward_energy": { "address": 0 } } },
                    "high": { "quantities": { "forward_enrgy": { "address": "0x4000" } } }
                  }
                }
              }
            }
            """);

        AssertNames(ex, "options.energyRegister.choices.high.quantities.forward_enrgy", "'forward_enrgy' is not a quantity of this profile");
    }

    [Fact]
    public void Parse_PumpControlOptionOnMeter_NamesThePumpControl()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [ { "name": "energy", "address": 0 } ],
              "options": {
                "control": {
                  "description": "d",
                  "default": "word",
                  "choices": { "word": { "pumpControl": { "mode": "ControlWord", "register": 15, "startValue": 1, "stopValue": 2 } } }
                }
              }
            }
            """);

        AssertNames(ex, "options.control.choices.word.pumpControl", "the profile has no pumps");
    }

    [Fact]
    public void Parse_NonDefaultChoiceScaleByMissingQuantity_NamesTheChoice()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [
                { "name": "forward_energy", "address": 10, "type": "UInt32", "scale": 0.01 },
                { "name": "pt_ratio", "address": 141 },
                { "name": "ct_ratio", "address": 142 }
              ],
              "options": {
                "energySide": {
                  "description": "d",
                  "default": "primary",
                  "choices": {
                    "primary": { "quantities": { "forward_energy": { "scaleBy": [] } } },
                    "secondary": { "quantities": { "forward_energy": { "scaleBy": ["pt_ratoi", "ct_ratio"] } } }
                  }
                }
              }
            }
            """);

        AssertNames(ex, "options.energySide.choices.secondary", "gives quantities[0].scaleBy: 'pt_ratoi' is not a quantity of this profile");
    }

    [Fact]
    public void Parse_NonDefaultChoiceAddressPast65535_NamesTheChoice()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [ { "name": "forward_energy", "address": "0x401E", "type": "Float32" } ],
              "options": {
                "energyRegister": {
                  "description": "d",
                  "default": "0x401E",
                  "choices": {
                    "0x401E": { "quantities": { "forward_energy": { "address": "0x401E" } } },
                    "0xFFFF": { "quantities": { "forward_energy": { "address": "0xFFFF" } } }
                  }
                }
              }
            }
            """);

        AssertNames(ex, "options.energyRegister.choices.0xFFFF", "gives quantities[0].address: 65535 + 2 registers runs past 65535");
    }

    [Fact]
    public void Parse_NullChoice_NamesIt()
    {
        var ex = Fails("""
            {
              "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [ { "name": "energy", "address": 0, "type": "Float32" } ],
              "options": { "wordOrder": { "description": "d", "default": "ABCD", "choices": { "ABCD": null } } }
            }
            """);

        AssertNames(ex, "options.wordOrder.choices.ABCD", "must be an object, not null");
    }

    [Fact]
    public void Parse_LastPumpPast65535_NamesMaxPumps()
    {
        // Pump 3 would be at 60010 and pump 4 at 90010, which a ushort wraps to 24474: someone else's registers.
        var ex = Fails(ProfileBuilder.PumpController().Set("pumps.maxPumps", 4).Set("pumps.registerStride", 30000));

        AssertNames(ex, "pumps.maxPumps", "pump 4's addresses would run past 65535");
    }

    [Fact]
    public void Parse_LastPumpsControlWordPast65535_NamesThePumpControl()
    {
        var ex = Fails(ProfileBuilder.PumpController().Set("pumps.maxPumps", 4).SetJson("options", """
            {
              "control": {
                "description": "d",
                "default": "coil",
                "choices": {
                  "coil": {},
                  "word": { "pumpControl": { "mode": "ControlWord", "register": 65510, "startValue": 1, "stopValue": 2 } }
                }
              }
            }
            """));

        AssertNames(ex, "options.control.choices.word.pumpControl", "pump 4's register 65540 is past 65535");
    }
}
