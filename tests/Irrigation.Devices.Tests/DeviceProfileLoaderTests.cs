using Irrigation.Devices.Tests.TestSupport;
using Irrigation.Modbus.Values;

namespace Irrigation.Devices.Tests;

/// <summary>
/// The shipped profiles load as they are; a bad profile fails at load with the file, the field path and the
/// reason — one test per class of mistake a person editing a profile makes.
/// </summary>
public sealed partial class DeviceProfileLoaderTests
{
    private const string File = "bad.json";

    // ---- shipped profiles -------------------------------------------------------------------------------

    [Fact]
    public void LoadDirectory_ShippedProfiles_LoadsAllFiveById()
    {
        var profiles = DeviceProfileLoader.LoadDirectory(ShippedProfiles.Directory);

        Assert.Equal(
            [ShippedProfiles.Adl400, ShippedProfiles.Dtsu666, ShippedProfiles.Dlt645Meter, ShippedProfiles.Sdm630, ShippedProfiles.PumpController],
            profiles.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, profile) in profiles)
        {
            Assert.Equal(id, profile.Id);
            Assert.Equal(Path.Combine(ShippedProfiles.Directory, id + ".json"), profile.Source);
        }
    }

    [Theory]
    [InlineData(ShippedProfiles.Dtsu666, DeviceKind.Meter, "DTSU666", 13, 1)]
    [InlineData(ShippedProfiles.Sdm630, DeviceKind.Meter, "SDM630", 10, 1)]
    [InlineData(ShippedProfiles.Adl400, DeviceKind.Meter, "ADL400", 12, 1)]
    [InlineData(ShippedProfiles.PumpController, DeviceKind.PumpController, "IPC-4 (simulated)", 7, 2)]
    public void LoadDirectory_ShippedProfile_HasKindModelQuantitiesAndUnit(string id, DeviceKind kind, string model, int quantities, byte unitId)
    {
        var profile = ShippedProfiles.Get(id);

        Assert.Equal(kind, profile.Kind);
        Assert.Equal(model, profile.Model);
        Assert.Equal(quantities, profile.Quantities.Count);
        Assert.Equal(unitId, profile.DefaultUnitId);
        Assert.Equal(kind == DeviceKind.PumpController, profile.Pumps is not null);
    }

    [Fact]
    public void LoadFile_Dtsu666_ReadsHexAddressesTypesAndScales()
    {
        var profile = DeviceProfileLoader.LoadFile(Path.Combine(ShippedProfiles.Directory, "chint-dtsu666.json"));

        var voltage = Assert.Single(profile.Quantities, q => q.Name == "voltage_a");
        Assert.Equal(0x2006, voltage.Address);
        Assert.Equal(RegisterType.Float32, voltage.Type);
        Assert.Equal(RegisterFunction.Holding, voltage.Function);
        Assert.Equal(WordOrder.ABCD, voltage.WordOrder);
        Assert.Equal(0.1, voltage.Scale);
        Assert.Equal("V", voltage.Unit);
        Assert.Equal("A相电压", voltage.Label);
        Assert.Equal(0x2044, Assert.Single(profile.Quantities, q => q.Name == "frequency").Address);
        Assert.Equal(["energyRegister", "readFunction", "wordOrder"], profile.Options.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void LoadFile_PumpController_ReadsPumpBlockStationSignalsAndControl()
    {
        var profile = ShippedProfiles.Get(ShippedProfiles.PumpController);

        var pumps = Assert.IsType<PumpBlock>(profile.Pumps);
        Assert.Equal(4, pumps.MaxPumps);
        Assert.Equal(10, pumps.RegisterStride);
        Assert.Equal(8, pumps.CoilStride);
        Assert.Equal(9, pumps.Quantities.Count);
        Assert.Equal(new PumpControl { Mode = PumpControlMode.CoilPulse, StartCoil = 0, StopCoil = 1, ResetCoil = 2 }, pumps.Control);
        Assert.Equal(new PumpFeedback { Running = "running", Fault = "fault", Current = "motor_current" }, pumps.Feedback);
        Assert.Equal(new StationSignals { Remote = "remote_mode", MainsPresent = "mains_present", SumpLevel = "sump_level" }, profile.Station);
    }

    [Fact]
    public void Resolve_EveryChoiceOfEveryShippedOption_GivesAReadableMap()
    {
        foreach (var profile in DeviceProfileLoader.LoadDirectory(ShippedProfiles.Directory).Values.Where(p => p.Protocol == DeviceProtocol.Modbus))
        {
            foreach (var (optionName, option) in profile.Options)
            {
                foreach (var choice in option.Choices.Keys)
                {
                    var resolved = profile.Resolve(new Dictionary<string, string> { [optionName] = choice });
                    var reader = new DeviceReader(resolved, resolved.Pumps?.MaxPumps ?? 0);

                    Assert.Equal(choice, resolved.Choices[optionName]);
                    Assert.All(reader.Plan, b => Assert.InRange(b.Count, 1, b.Function is RegisterFunction.Coil or RegisterFunction.Discrete ? profile.ReadPlan.MaxBits : profile.ReadPlan.MaxRegisters));
                    Assert.All(reader.Quantities, q => Assert.True(q.Definition.Address + q.Definition.Width <= 0x10000, q.Key));
                }
            }
        }
    }

    [Fact]
    public void LoadDirectory_MissingDirectory_NamesTheDirectory()
    {
        var missing = Path.Combine(AppContext.BaseDirectory, "no-such-profiles");

        var ex = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.LoadDirectory(missing));

        Assert.Equal(missing, ex.File);
        Assert.Equal("(directory)", ex.Field);
    }

    [Fact]
    public void LoadDirectory_TwoFilesWithOneId_NamesTheSecondFile()
    {
        var directory = Directory.CreateTempSubdirectory("profiles-").FullName;
        try
        {
            const string Json = """{ "id": "same", "manufacturer": "m", "model": "x", "quantities": [ { "name": "voltage_a", "address": 0 } ] }""";
            System.IO.File.WriteAllText(Path.Combine(directory, "a.json"), Json);
            System.IO.File.WriteAllText(Path.Combine(directory, "b.json"), Json);

            var ex = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.LoadDirectory(directory));

            Assert.Equal(Path.Combine(directory, "b.json"), ex.File);
            Assert.Equal("id", ex.Field);
            Assert.Equal($"'same' is already defined by {Path.Combine(directory, "a.json")}", ex.Reason);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void LoadDirectory_OneBadFile_NamesThatFilesPath()
    {
        var directory = Directory.CreateTempSubdirectory("profiles-").FullName;
        try
        {
            System.IO.File.WriteAllText(Path.Combine(directory, "good.json"), """{ "id": "good", "manufacturer": "m", "model": "x", "quantities": [ { "name": "a", "address": 0 } ] }""");
            System.IO.File.WriteAllText(Path.Combine(directory, "my-meter.json"), """{ "id": "bad", "manufacturer": "m", "model": "x", "quantities": [ { "name": "a", "address": 0, "scale": 0 } ] }""");

            var ex = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.LoadDirectory(directory));

            Assert.Equal($"{Path.Combine(directory, "my-meter.json")}: quantities[0].scale: 0 must be a finite, non-zero number", ex.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void LoadFile_MissingFile_NamesTheFile()
    {
        var missing = Path.Combine(AppContext.BaseDirectory, "no-such-profile.json");

        var ex = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.LoadFile(missing));

        Assert.Equal(missing, ex.File);
        Assert.Equal("(file)", ex.Field);
    }

    [Fact]
    public void Parse_MinimalMeter_Loads()
    {
        var profile = DeviceProfileLoader.Parse("""
            {
              "id": "tiny-meter", "manufacturer": "m", "model": "x", "kind": "Meter",
              "quantities": [ { "name": "voltage_a", "address": "0x0010", "type": "Float32", "scale": 0.1 } ]
            }
            """, "tiny.json");

        Assert.Equal("tiny.json", profile.Source);
        Assert.Equal(16, Assert.Single(profile.Quantities).Address);
        Assert.Equal(new ReadPlanSettings(), profile.ReadPlan);
    }

    private static DeviceProfileException Fails(string json) =>
        Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.Parse(json, File));

    private static DeviceProfileException Fails(ProfileBuilder profile) => Fails(profile.ToString());

    /// <summary>The exception names the file, the field path and the reason, and its message says all three.</summary>
    private static void AssertNames(DeviceProfileException ex, string field, string reason)
    {
        Assert.Equal(File, ex.File);
        Assert.Equal(field, ex.Field);
        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
        Assert.Equal($"{File}: {field}: {ex.Reason}", ex.Message);
    }
}
