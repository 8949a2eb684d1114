using System.Net;
using Irrigation.Devices.Dlt645;
using Irrigation.Devices.Tests.TestSupport;
using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Server;
using Irrigation.Dlt645.Values;

namespace Irrigation.Devices.Tests;

/// <summary>
/// DL/T 645 profiles: the shipped three-phase meter profile, the rules a DL/T 645 profile must keep, and its reader
/// against a real DL/T 645 meter server on 127.0.0.1 — exact identifiers requested, exact values decoded.
/// </summary>
public sealed class Dlt645ProfileTests
{
    private const string File = "bad.json";
    private static readonly Dlt645Address MeterAddress = Dlt645Address.Parse("000012345678");

    [Fact]
    public void ShippedProfile_ThreePhaseMeter_IdentifiersFormatsAndUnitsAsTheStandardPrintsThem()
    {
        var profile = ShippedProfiles.Get(ShippedProfiles.Dlt645Meter);

        Assert.Equal(DeviceProtocol.Dlt645, profile.Protocol);
        Assert.Equal(DeviceKind.Meter, profile.Kind);
        string Row(string name) => Assert.Single(profile.Quantities, q => q.Name == name) is var q ? $"{q.DataIdentifier}/{q.Index} {(q.Signed ? "±" : "")}{q.Format} ×{q.Scale} {q.Unit}" : "";
        Assert.Equal("0201FF00/0 XXX.X ×1 V", Row("voltage_a"));
        Assert.Equal("0201FF00/2 XXX.X ×1 V", Row("voltage_c"));
        Assert.Equal("0202FF00/1 ±XXX.XXX ×1 A", Row("current_b"));
        Assert.Equal("02030000/0 ±XX.XXXX ×1000 W", Row("active_power"));
        Assert.Equal("02060000/0 ±X.XXX ×1 ", Row("power_factor"));
        Assert.Equal("02800002/0 XX.XX ×1 Hz", Row("frequency"));
        Assert.Equal("00000000/0 ±XXXXXX.XX ×1 kWh", Row("combined_energy"));
        Assert.Equal("00010000/0 XXXXXX.XX ×1 kWh", Row("forward_energy"));
    }

    [Fact]
    public void Reader_ShippedProfile_BlocksReadTheThreePhasesInOneRequest_SingleReadsEachPhase()
    {
        var block = new Dlt645DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dlt645Meter));
        var single = new Dlt645DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dlt645Meter, "phaseReads=single"));

        Assert.Equal(["0201FF00", "0202FF00", "02030000", "02060000", "02800002", "00000000", "00010000"], block.Plan.Select(b => b.Identifier.ToString()));
        Assert.Equal(6, block.Plan[0].RequiredBytes);
        Assert.Equal(9, block.Plan[1].RequiredBytes);
        Assert.Equal(11, single.Plan.Count);
        Assert.Equal("02020300", single.Plan[5].Identifier.ToString());
    }

    [Theory]
    [InlineData("block", 7)]
    [InlineData("single", 11)]
    public async Task ReadAsync_OverDlt645Tcp_DecodesEveryQuantity_OneRequestPerIdentifier(string phaseReads, int requests)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var meter = new Dlt645MeterDataStore(MeterAddress);
        meter.Set(Dlt645Quantities.Voltages, 230.5m, 231.1m, 229.7m);
        meter.Set(Dlt645Quantities.VoltageA, 230.5m);
        meter.Set(Dlt645Quantities.VoltageB, 231.1m);
        meter.Set(Dlt645Quantities.VoltageC, 229.7m);
        meter.Set(Dlt645Quantities.Currents, 12.345m, -0.5m, 12.001m);
        meter.Set(Dlt645Quantities.CurrentA, 12.345m);
        meter.Set(Dlt645Quantities.CurrentB, -0.5m);
        meter.Set(Dlt645Quantities.CurrentC, 12.001m);
        meter.Set(Dlt645Quantities.ActivePower, 8.1234m);
        meter.Set(Dlt645Quantities.PowerFactorTotal, 0.931m);
        meter.Set(Dlt645Quantities.GridFrequency, 50.01m);
        meter.Set(Dlt645Quantities.CombinedActiveEnergy, 12345.67m);
        meter.Set(Dlt645Quantities.ForwardActiveEnergy, 12345.67m);
        await using var server = new Dlt645MeterServer(new IPEndPoint(IPAddress.Loopback, 0), meter);
        server.Start();
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", server.LocalEndPoint.Port);
        var reader = new Dlt645DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dlt645Meter, $"phaseReads={phaseReads}"));

        var values = (await reader.ReadAsync(client, MeterAddress, timeout.Token)).ToDictionary(v => v.Key);

        Assert.Equal(230.5, values["voltage_a"].Value, 9);
        Assert.Equal(231.1, values["voltage_b"].Value, 9);
        Assert.Equal(229.7, values["voltage_c"].Value, 9);
        Assert.Equal(12.345, values["current_a"].Value, 9);
        Assert.Equal(-0.5, values["current_b"].Value, 9);
        Assert.Equal(8123.4, values["active_power"].Value, 9);
        Assert.Equal("W", values["active_power"].Unit);
        Assert.Equal(0.931, values["power_factor"].Value, 9);
        Assert.Equal(50.01, values["frequency"].Value, 9);
        Assert.Equal(12345.67, values["forward_energy"].Value, 9);
        Assert.Equal(12345.67, values["combined_energy"].Value, 9);
        Assert.Equal(11, values.Count);
        Assert.Equal(requests, client.Counters.Requests);
        Assert.Equal(requests, server.Counters.Requests);
    }

    [Fact]
    public async Task ReadAsync_MeterWithoutTheBlockIdentifier_AbnormalReplyNamesIt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var meter = new Dlt645MeterDataStore(MeterAddress);
        meter.Set(Dlt645Quantities.VoltageA, 230.5m);
        await using var server = new Dlt645MeterServer(new IPEndPoint(IPAddress.Loopback, 0), meter);
        server.Start();
        await using var client = Dlt645Client.CreateTcp("127.0.0.1", server.LocalEndPoint.Port);
        var reader = new Dlt645DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dlt645Meter));

        var ex = await Assert.ThrowsAsync<Dlt645AbnormalReplyException>(() => reader.ReadAsync(client, MeterAddress, timeout.Token));

        Assert.Equal(Irrigation.Dlt645.Messages.Dlt645ErrorFlags.NoRequestedData, ex.Error);
    }

    [Fact]
    public void Decode_NonBcdOrShortData_ThrowsNamingIdentifierAndQuantity_NeverAHalfReading()
    {
        var reader = new Dlt645DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dlt645Meter));
        byte[][] Good() => [[0x05, 0x23, 0x11, 0x23, 0x97, 0x22], new byte[9], [0x34, 0x12, 0x08], [0x31, 0x09], [0x01, 0x50], new byte[4], new byte[4]];

        var data = Good();
        Assert.Equal(11, reader.Decode(data, MeterAddress).Count);
        Assert.Equal(230.5, reader.Decode(data, MeterAddress)[0].Value, 9);

        data[2] = [0xFF, 0xFF, 0xFF]; // a meter's "not measured"
        var notBcd = Assert.Throws<Dlt645Exception>(() => reader.Decode(data, MeterAddress));
        Assert.Contains("02030000 element 0 (active_power) is FFFFFF", notBcd.Message, StringComparison.Ordinal);

        data = Good();
        data[1] = new byte[8];
        var shortData = Assert.Throws<Dlt645Exception>(() => reader.Decode(data, MeterAddress));
        Assert.Contains("0202FF00 answered 8 byte(s), profile 'dlt645-2007-three-phase' needs 9", shortData.Message, StringComparison.Ordinal);
    }

    // ---- bad DL/T 645 profiles ----------------------------------------------------------------------------

    private static string Profile(string quantities, string extra = "") => $$"""
        { "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter", "protocol": "Dlt645", {{extra}}
          "quantities": {{quantities}} }
        """;

    [Theory]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "0201010", "format": "XXX.X" } ]""", "quantities[0].dataIdentifier", "eight hex digits")]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "0201G100", "format": "XXX.X" } ]""", "quantities[0].dataIdentifier", "eight hex digits")]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "02010100" } ]""", "quantities[0].format", "is required")]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "02010100", "format": "XX.X" } ]""", "quantities[0].format", "even count")]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "0201FF00", "index": -1, "format": "XXX.X" } ]""", "quantities[0].index", "-1")]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "0201FF00", "index": 98, "format": "XXX.X" } ]""", "quantities[0].index", "runs past one reply's 196 bytes")]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "0201FF00", "format": "XXX.X" }, { "name": "voltage_b", "dataIdentifier": "0201FF00", "format": "XXX.X" } ]""", "quantities[1].index", "element 0 of 0201FF00 is already 'voltage_a'")]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "0201FF00", "format": "XXX.X" }, { "name": "voltage_b", "dataIdentifier": "0201FF00", "index": 1, "format": "XXX.XXX" } ]""", "quantities[1].format", "must share one format (XXX.X)")]
    [InlineData("""[ { "name": "voltage_a", "dataIdentifier": "02010100", "format": "XXX.X", "scaleBy": ["pt"] } ]""", "quantities[0].scaleBy", "primary-side")]
    [InlineData("""[]""", "quantities", "at least one quantity")]
    public void Parse_BadDlt645Quantity_NamesTheField(string quantities, string field, string reason)
    {
        var ex = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.Parse(Profile(quantities), File));

        Assert.Equal(field, ex.Field);
        Assert.Contains(reason, ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Dlt645PumpController_Refused()
    {
        var json = Profile("""[ { "name": "x", "dataIdentifier": "02010100", "format": "XXX.X" } ]""").Replace("\"Meter\"", "\"PumpController\"", StringComparison.Ordinal);

        var ex = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.Parse(json, File));

        Assert.Equal("kind", ex.Field);
    }

    [Fact]
    public void Parse_OptionPointingAtAnUnknownQuantity_NamesTheChoice()
    {
        var json = Profile("""[ { "name": "voltage_a", "dataIdentifier": "02010100", "format": "XXX.X" } ]""",
            """ "options": { "o": { "description": "d", "default": "a", "choices": { "a": {}, "b": { "quantities": { "volts": { "dataIdentifier": "02010200" } } } } } }, """);

        var ex = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.Parse(json, File));

        Assert.Equal("options.o.choices.b.quantities.volts", ex.Field);
    }

    [Fact]
    public void Parse_ModbusQuantityWithoutAddress_OrWithADataIdentifier_Refused()
    {
        var noAddress = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.Parse(
            """{ "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter", "quantities": [ { "name": "voltage_a", "address": 0 }, { "name": "voltage_b" } ] }""", File));
        var mixed = Assert.Throws<DeviceProfileException>(() => DeviceProfileLoader.Parse(
            """{ "id": "bad", "manufacturer": "m", "model": "x", "kind": "Meter", "quantities": [ { "name": "voltage_a", "address": 0, "dataIdentifier": "02010100" } ] }""", File));

        Assert.Equal("quantities[1].address", noAddress.Field);
        Assert.Contains("required in a Modbus profile", noAddress.Reason, StringComparison.Ordinal);
        Assert.Equal("quantities[0].dataIdentifier", mixed.Field);
    }
}
