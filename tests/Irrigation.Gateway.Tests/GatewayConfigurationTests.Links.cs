using System.Text.Json.Nodes;
using Irrigation.Devices;
using Irrigation.Gateway.Configuration;

namespace Irrigation.Gateway.Tests;

/// <summary>Lines in gateway.json: DL/T 645 meters on their own link at their address, one protocol per line, supply lines.</summary>
public sealed partial class GatewayConfigurationTests
{
    private static JsonObject Dlt645Meter(string address = "000012345678", JsonObject? endpoint = null) => new()
    {
        ["profile"] = "dlt645-2007-three-phase",
        ["address"] = address,
        ["endpoint"] = endpoint ?? new JsonObject { ["type"] = "tcp", ["host"] = "127.0.0.1", ["port"] = 8899 },
    };

    [Fact]
    public void Load_Dlt645MeterOnItsOwnPort_ResolvedWithAddressAndLinks()
    {
        var config = ValidConfig();
        Station(config, 0)["meter"] = Dlt645Meter();

        var (_, stations) = GatewayConfiguration.Load(Write(config));

        var st001 = stations[0];
        Assert.Equal(DeviceProtocol.Dlt645, st001.Meter!.Protocol);
        Assert.Equal("000012345678", st001.MeterAddress.ToString());
        Assert.Equal("dlt645://127.0.0.1:8899", StationDefinition.LinkKey(st001.MeterEndpoint, DeviceProtocol.Dlt645));
        Assert.Equal("tcp://127.0.0.1:502", StationDefinition.LinkKey(st001.ControllerEndpoint, DeviceProtocol.Modbus));
    }

    [Fact]
    public void Load_Dlt645MeterBehindItsOwnDtu_BothDtusKnown()
    {
        var config = ValidConfig();
        config["dtuListener"] = DtuListener();
        Station(config, 0)["endpoint"] = new JsonObject { ["type"] = "dtu", ["dtuId"] = "st001" };
        Station(config, 0)["meter"] = Dlt645Meter("AAAAAAAAAAAA", new JsonObject { ["type"] = "dtu", ["dtuId"] = "st001-meter" });

        var (_, stations) = GatewayConfiguration.Load(Write(config));

        Assert.Equal(["st001-meter", "st001"], stations[0].DtuIds());
        Assert.True(stations[0].MeterAddress.HasWildcards);
    }

    [Theory]
    [InlineData("1234567890123")]
    [InlineData("99999999999A")]
    [InlineData("999999999999")]
    public void Load_Dlt645MeterBadAddress_NamesMeterAddress(string address)
    {
        var ex = AssertRejected(c => Station(c, 0)["meter"] = Dlt645Meter(address), "stations[0].meter.address");

        Assert.Contains("up to 12 digits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Dlt645MeterWithoutAddress_NamesMeterAddress() =>
        AssertRejected(c => Station(c, 0)["meter"]!.AsObject().ReplaceWith(new JsonObject { ["profile"] = "dlt645-2007-three-phase", ["endpoint"] = new JsonObject { ["type"] = "tcp", ["host"] = "127.0.0.1", ["port"] = 8899 } }), "stations[0].meter.address");

    [Fact]
    public void Load_Dlt645MeterWithUnitId_NamesMeterUnitId()
    {
        var meter = Dlt645Meter();
        meter["unitId"] = 1;

        AssertRejected(c => Station(c, 0)["meter"] = meter, "stations[0].meter.unitId");
    }

    [Fact]
    public void Load_ModbusMeterWithAddress_NamesMeterAddress() =>
        AssertRejected(c => Station(c, 0)["meter"]!["address"] = "000012345678", "stations[0].meter.address");

    [Fact]
    public void Load_Dlt645MeterOnTheControllersModbusLine_RefusedOneProtocolPerLine()
    {
        var ex = AssertRejected(c => Station(c, 0)["meter"] = new JsonObject { ["profile"] = "dlt645-2007-three-phase", ["address"] = "000012345678" }, "stations[0].controller");

        Assert.Contains("already carries Dlt645 for st001 meter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TwoStationsDlt645MetersOnOneBus_Loads_ButAModbusDeviceThereIsRefused()
    {
        var config = ValidConfig();
        Station(config, 0)["meter"] = Dlt645Meter("000000000001");
        Station(config, 1)["meter"] = Dlt645Meter("000000000002");
        Assert.Equal(2, GatewayConfiguration.Load(Write(config)).Stations.Count);

        Station(config, 1)["endpoint"] = new JsonObject { ["type"] = "tcp", ["host"] = "127.0.0.1", ["port"] = 8899, ["framing"] = "rtu" };
        var path = Write(config);
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path));

        Assert.Contains("stations[1].controller: its link", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SupplyLineBlankOrGapTooLong_NamesTheField()
    {
        AssertRejected(c => Station(c, 0)["supplyLine"] = " ", "stations[0].supplyLine");
        AssertRejected(c => c["commands"]!["supplyLineStartGap"] = "00:06:00", "commands.supplyLineStartGap");
    }
}
