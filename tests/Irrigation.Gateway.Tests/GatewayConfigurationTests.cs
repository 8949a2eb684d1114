using System.Text.Json.Nodes;
using Irrigation.Gateway.Configuration;
using Irrigation.Testing;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// gateway.json files on disk through <see cref="GatewayConfiguration.Load"/>: every error names the file and the
/// field (docs/gateway.md), and the real program stops with exit code 2 on one.
/// </summary>
public sealed partial class GatewayConfigurationTests : IDisposable
{
    private readonly ScratchDirectory _directory = new("gateway-config");

    public void Dispose() => _directory.Dispose();

    /// <summary>The example of docs/gateway.md with tcp endpoints on loopback and the repository's profiles.</summary>
    private static JsonObject ValidConfig() => new()
    {
        ["id"] = "gw-01",
        ["topicRoot"] = "irrigation",
        ["profilesDirectory"] = RepoPaths.Profiles,
        ["dataDirectory"] = "data",
        ["mqtt"] = new JsonObject { ["host"] = "127.0.0.1", ["port"] = 1883, ["keepAlive"] = "00:00:30" },
        ["publishing"] = new JsonObject { ["snapshotInterval"] = "00:01:00" },
        ["commands"] = new JsonObject { ["feedbackTimeout"] = "00:00:05", ["minTimeBetweenStarts"] = "00:05:00", ["journalSize"] = 10000 },
        ["stations"] = new JsonArray(
            new JsonObject
            {
                ["id"] = "st001",
                ["name"] = "城东一号机埠",
                ["site"] = "城东镇",
                ["endpoint"] = new JsonObject { ["type"] = "tcp", ["host"] = "127.0.0.1", ["port"] = 502, ["framing"] = "tcp" },
                ["pollInterval"] = "00:00:01",
                ["requestTimeout"] = "00:00:01",
                ["meter"] = new JsonObject { ["profile"] = "chint-dtsu666", ["unitId"] = 1, ["options"] = new JsonObject { ["energyRegister"] = "0x401E" } },
                ["controller"] = new JsonObject { ["profile"] = "irrigation-pump-controller", ["unitId"] = 2, ["pumps"] = 2 },
            },
            new JsonObject
            {
                ["id"] = "st002",
                ["name"] = "石门二号机埠",
                ["site"] = "石门镇",
                ["endpoint"] = new JsonObject { ["type"] = "tcp", ["host"] = "127.0.0.1", ["port"] = 503, ["framing"] = "rtu" },
                ["meter"] = new JsonObject { ["profile"] = "acrel-adl400" },
                ["controller"] = new JsonObject { ["profile"] = "irrigation-pump-controller", ["pumps"] = 1 },
            }),
    };

    private static JsonObject Station(JsonObject config, int index) => config["stations"]![index]!.AsObject();

    private static JsonObject DtuListener() => new() { ["host"] = "127.0.0.1", ["port"] = 0 };

    private string Write(JsonObject config) => WriteText(config.ToJsonString());

    private string WriteText(string text)
    {
        var path = _directory.File("gateway.json");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Loads the valid file changed by <paramref name="change"/>; the message must be "{file}: {field}: reason".</summary>
    private GatewayConfigurationException AssertRejected(Action<JsonObject> change, string field)
    {
        var config = ValidConfig();
        change(config);
        var path = Write(config);

        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path));

        Assert.StartsWith($"{path}: {field}: ", ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Fact]
    public void Load_ValidFile_StationsResolvedWithProfilesAndDefaults()
    {
        var path = Write(ValidConfig());

        var (options, stations) = GatewayConfiguration.Load(path);

        Assert.Equal("gw-01", options.Id);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Publishing.SnapshotInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Mqtt.KeepAlive);
        Assert.Null(options.DtuListener);
        Assert.Equal(["st001", "st002"], stations.Select(s => s.Id));

        var st001 = stations[0];
        Assert.Equal("城东镇", st001.Settings.Site);
        Assert.Equal("chint-dtsu666", st001.Meter!.Id);
        Assert.Equal("0x401E", st001.Meter.Choices["energyRegister"]);
        Assert.Equal(1, st001.MeterUnitId);
        Assert.Equal("irrigation-pump-controller", st001.Controller!.Id);
        Assert.Equal(2, st001.ControllerUnitId);
        Assert.Equal(2, st001.PumpCount);

        // st002 leaves unit ids, poll interval and request timeout to their defaults.
        var st002 = stations[1];
        Assert.Equal("rtu", st002.Settings.Endpoint.Framing);
        Assert.Equal("acrel-adl400", st002.Meter!.Id);
        Assert.Equal(1, st002.MeterUnitId);
        Assert.Equal(2, st002.ControllerUnitId);
        Assert.Equal(1, st002.PumpCount);
        Assert.Equal(TimeSpan.FromSeconds(1), st002.Settings.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), st002.Settings.RequestTimeout);
    }

    [Fact]
    public void Load_DtuStationWithListener_Loads()
    {
        var config = ValidConfig();
        config["dtuListener"] = DtuListener();
        Station(config, 1)["endpoint"] = new JsonObject { ["type"] = "dtu", ["dtuId"] = "st002" };
        var path = Write(config);

        var (options, stations) = GatewayConfiguration.Load(path);

        Assert.Equal("REG:{id}\r\n", options.DtuListener!.Registration);
        Assert.Equal("dtu", stations[1].Settings.Endpoint.Type);
        Assert.Equal("st002", stations[1].Settings.Endpoint.DtuId);
    }

    [Fact]
    public void Load_EndpointPortZero_NamesStationsIndexEndpointPort()
    {
        var ex = AssertRejected(c => Station(c, 1)["endpoint"]!["port"] = 0, "stations[1].endpoint.port");

        Assert.EndsWith("0 is outside 1..65535", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateStationId_NamesSecondStationId()
    {
        var ex = AssertRejected(c => Station(c, 1)["id"] = "st001", "stations[1].id");

        Assert.Contains("'st001' is used twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StationIdGateways_Reserved()
    {
        var ex = AssertRejected(c => Station(c, 0)["id"] = "gateways", "stations[0].id");

        Assert.Contains("reserved", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownMeterProfile_NamesMeterProfileAndListsProfiles()
    {
        var ex = AssertRejected(c => Station(c, 0)["meter"]!["profile"] = "chint-dtsu999", "stations[0].meter.profile");

        Assert.Contains("no profile 'chint-dtsu999'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("acrel-adl400", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ControllerProfileAsMeter_NamesMeterProfile()
    {
        var ex = AssertRejected(
            c =>
            {
                Station(c, 1)["meter"] = new JsonObject { ["profile"] = "irrigation-pump-controller", ["unitId"] = 3 };
            },
            "stations[1].meter.profile");

        Assert.Contains("'irrigation-pump-controller' is a PumpController, expected a Meter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadOptionChoice_NamesMeterOption()
    {
        var ex = AssertRejected(c => Station(c, 0)["meter"]!["options"]!["energyRegister"] = "0x1234", "stations[0].meter.options.energyRegister");

        Assert.Contains("'0x1234' is not a choice of option 'energyRegister'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Load_PumpsOutsideProfileRange_NamesControllerPumps(int pumps)
    {
        var ex = AssertRejected(c => Station(c, 0)["controller"]!["pumps"] = pumps, "stations[0].controller.pumps");

        Assert.Contains($"{pumps} is outside 1..4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DtuEndpointWithoutListener_NamesEndpointType()
    {
        var ex = AssertRejected(c => Station(c, 1)["endpoint"] = new JsonObject { ["type"] = "dtu", ["dtuId"] = "st002" }, "stations[1].endpoint.type");

        Assert.Contains("dtuListener", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DtuEndpointWithoutDtuId_NamesDtuId()
    {
        AssertRejected(
            c =>
            {
                c["dtuListener"] = DtuListener();
                Station(c, 1)["endpoint"] = new JsonObject { ["type"] = "dtu" };
            },
            "stations[1].endpoint.dtuId");
    }

    [Fact]
    public void Load_BadFraming_NamesEndpointFraming()
    {
        var ex = AssertRejected(c => Station(c, 0)["endpoint"]!["framing"] = "ascii", "stations[0].endpoint.framing");

        Assert.Contains("'ascii' must be tcp or rtu", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CommandKeys_ShortSecretOrDuplicateIdNamed_GoodOnesLoad()
    {
        var good = Convert.ToBase64String(new byte[32]);
        var ex = AssertRejected(c => c["commands"]!["keys"] = new JsonArray(new JsonObject { ["id"] = "k1", ["secret"] = Convert.ToBase64String(new byte[16]) }), "commands.keys[0].secret");
        Assert.Contains("at least 32 bytes", ex.Message, StringComparison.Ordinal);
        AssertRejected(c => c["commands"]!["keys"] = new JsonArray(new JsonObject { ["id"] = "k1", ["secret"] = good }, new JsonObject { ["id"] = "k1", ["secret"] = good }), "commands.keys[0].id");

        var config = ValidConfig();
        config["commands"]!["keys"] = new JsonArray(new JsonObject { ["id"] = "k1", ["secret"] = good }, new JsonObject { ["id"] = "k2", ["secret"] = good });
        Assert.Equal(["k1", "k2"], GatewayConfiguration.Load(Write(config)).Options.Commands.Keys.Select(k => k.Id));
    }

    [Fact]
    public void Load_PollIntervalTooShort_NamesPollInterval()
    {
        AssertRejected(c => Station(c, 0)["pollInterval"] = "00:00:00.050", "stations[0].pollInterval");
    }

    [Fact]
    public void Load_UnknownKey_FailsNamingFileAndKeyPath()
    {
        var config = ValidConfig();
        Station(config, 0)["polInterval"] = "00:00:01";
        var path = Write(config);

        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path));

        Assert.StartsWith($"{path}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not found on the instance of Irrigation.Gateway.Configuration.StationSettings: 'polInterval'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ValueOfWrongType_FailsNamingFileAndKeyPath()
    {
        var config = ValidConfig();
        Station(config, 1)["pollInterval"] = "every second";
        var path = Write(config);

        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path));

        Assert.Equal($"{path}: Failed to convert configuration value 'every second' at 'Stations:1:PollInterval' to type 'System.TimeSpan'.", ex.Message);
    }

    [Fact]
    public void Load_MalformedJson_FailsNamingFile()
    {
        var path = WriteText("""{ "id": "gw-01", "stations": [ { "id": "st001", """);

        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path));

        Assert.StartsWith($"{path}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LineNumber", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public void Load_MissingFile_FailsNamingFile()
    {
        var path = _directory.File("absent.json");

        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path));

        Assert.Equal($"{path}: configuration file not found.", ex.Message);
    }

    /// <summary>Compose gives the command key through the environment (IRRIGATION_GATEWAY__…), over the mounted file.</summary>
    [Fact]
    public async Task GatewayProgram_CommandKeyFromTheEnvironment_ValidatedLikeTheFile()
    {
        var path = Write(ValidConfig());
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["IRRIGATION_GATEWAY__commands__keys__0__id"] = "k1",
            ["IRRIGATION_GATEWAY__commands__keys__0__secret"] = Convert.ToBase64String(new byte[8]),
        };
        await using var gateway = ManagedProcess.Start("irrigation-gateway", RepoPaths.Gateway, ["--config", path], _directory.File("gateway-env.log"), environment, _directory.Path);
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, gateway.ExitCode);
        var error = Assert.Single(gateway.Lines, l => l.StartsWith("irrigation-gateway: invalid configuration:", StringComparison.Ordinal));
        Assert.Contains($"{path}: commands.keys[0].secret: must be base64 of at least 32 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayProgram_InvalidConfig_ExitsWithCode2AndNamesTheField()
    {
        var config = ValidConfig();
        Station(config, 1)["endpoint"]!["port"] = 0;
        var path = Write(config);

        await using var gateway = ManagedProcess.Start("irrigation-gateway", RepoPaths.Gateway, ["--config", path], _directory.File("gateway.log"), workingDirectory: _directory.Path);
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, gateway.ExitCode);
        // Program.cs writes this line, and only this line, to stderr.
        var error = Assert.Single(gateway.Lines, l => l.StartsWith("irrigation-gateway: invalid configuration:", StringComparison.Ordinal));
        Assert.Equal($"irrigation-gateway: invalid configuration: {path}: stations[1].endpoint.port: 0 is outside 1..65535", error);
        Assert.False(Directory.Exists(_directory.File("data")), "nothing may start before the configuration is valid");
    }

    [Fact]
    public async Task GatewayProgram_BadDeviceProfile_ExitsWithCode2NamingTheProfileFileFieldAndReason()
    {
        var profiles = _directory.File("profiles-bad");
        Directory.CreateDirectory(profiles);
        foreach (var file in Directory.GetFiles(RepoPaths.Profiles, "*.json"))
            File.Copy(file, Path.Combine(profiles, Path.GetFileName(file)));
        var meter = Path.Combine(profiles, "chint-dtsu666.json");
        var text = File.ReadAllText(meter);
        var first = text.IndexOf("\"scale\": 0.1", StringComparison.Ordinal);
        File.WriteAllText(meter, text[..first] + "\"scale\": 0" + text[(first + "\"scale\": 0.1".Length)..]);
        var config = ValidConfig();
        config["profilesDirectory"] = profiles;
        var path = Write(config);

        await using var gateway = ManagedProcess.Start("irrigation-gateway", RepoPaths.Gateway, ["--config", path], _directory.File("gateway-profile.log"), workingDirectory: _directory.Path);
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, gateway.ExitCode);
        var error = Assert.Single(gateway.Lines, l => l.StartsWith("irrigation-gateway: invalid configuration:", StringComparison.Ordinal));
        Assert.Equal($"irrigation-gateway: invalid configuration: {path}: profilesDirectory: {meter}: quantities[0].scale: 0 must be a finite, non-zero number", error);
    }
}
