using Irrigation.Server.State;
using Irrigation.Server.Uplink;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Irrigation.Sl651.Platform;
using Irrigation.Sl651.Values;
using Irrigation.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Server.Tests.Uplink;

public sealed class UplinkReportsTests
{
    private static readonly Sl651StationAddress Address = Sl651StationAddress.Parse("0033000001");
    private static readonly DateTime At = new(2026, 12, 4, 21, 30, 15, DateTimeKind.Unspecified);

    private static StationSnapshot Snapshot(params (string Key, double Value)[] values) =>
        new("st001", "一号站", "town", StationStatus.Online, "gw-01", 0, 0, values.ToDictionary(v => v.Key, v => (v.Value, 0L)));

    [Fact]
    public void Observation_TimedReport_CarriesMappedValuesUnitsRunningAndStatusWord_AsThePlatformReadsThem()
    {
        var snapshot = Snapshot(("flow_rate", 360.0), ("voltage_a", 229.6), ("pump1.running", 1), ("pump2.running", 0));
        var station = new UplinkStationOptions { Station = "st001", Address = "0033000001" }; // Q from flow_rate: m³/h → m³/s by default

        var report = UplinkReports.Observation(Sl651FunctionCode.Timed, 3, At, At, Address, snapshot, station);
        var bytes = Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(report, new Sl651Header(1, Address, 0x1234)));

        Assert.Equal(PlatformDecoder.Outcome.Frame, PlatformDecoder.Read(bytes, out var frame, out _, out _));
        Assert.Equal(0.1m, frame!.Value("Q"));
        Assert.Equal(1m, frame.Value("NS"));
        Assert.Null(frame.Value("VTA")); // the motor values go in 44H
        Assert.Equal("00000080", frame.Elements.Single(e => e.Code == "ZT").Hex); // a pump runs: bit 10 clear; door bit 7 set
        Assert.Equal(new DateTime(2026, 12, 4, 21, 30, 0), frame.ObservationTime);
        Assert.Equal(0x44, frame.Category);
    }

    [Fact]
    public void Observation_AdditionalReport_PutsTheStatusWordFirstAndSaysPumpStopped()
    {
        var report = UplinkReports.Observation(Sl651FunctionCode.Additional, 4, At, At, Address, Snapshot(("pump1.running", 0)), new UplinkStationOptions());
        Assert.Equal(Sl651Elements.StatusLeader, report.Elements[0].Identifier.Leader);
        Assert.True(report.Elements[0].TryGetStatus(out var bits));
        Assert.True(bits.HasFlag(Sl651StatusBits.PumpStopped));
    }

    [Fact]
    public void PumpRealTime_ValueTooBigForItsFormat_IsLeftOutAndSaid()
    {
        var skipped = new List<string>();
        var report = UplinkReports.PumpRealTime(5, At, Address, Snapshot(("voltage_a", 231.04), ("current_a", 12345.6)), new UplinkStationOptions(), skipped.Add);
        Assert.Equal(231.0m, Assert.Single(report.Elements).TryGetNumber(out var v) ? v : 0);
        Assert.Contains(skipped, s => s.StartsWith("VIA", StringComparison.Ordinal));
    }

    [Fact]
    public void PumpStates_TwoPumpsSecondRunning_Is02()
    {
        Assert.Equal("02", UplinkReports.PumpStates(Snapshot(("pump1.running", 0), ("pump2.running", 1)), 0).ToString());
        Assert.Equal("0200", UplinkReports.PumpStates(Snapshot(("pump2.running", 1)), 9).ToString());
    }

    [Theory]
    [InlineData("Port", "0", "Irrigation:Uplink:Port")]
    [InlineData("Password", "12345", "Irrigation:Uplink:Password")]
    [InlineData("KeepAliveInterval", "00:05:00", "Irrigation:Uplink:KeepAliveInterval")]
    [InlineData("Address", "12345", "Irrigation:Uplink:Stations:0:Address")]
    [InlineData("Element", "XYZ", "element 'XYZ'")]
    public void Validate_BadSetting_NamesIt(string setting, string value, string named)
    {
        var options = new UplinkOptions { Host = "127.0.0.1", Port = 5000, Password = "1234", Stations = [new UplinkStationOptions { Station = "st001", Address = "0033000001" }] };
        switch (setting)
        {
            case "Port": options.Port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "Password": options.Password = value; break;
            case "KeepAliveInterval": options.KeepAliveInterval = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "Address": options.Stations[0].Address = value; break;
            case "Element": options.Stations[0].Elements[value] = "flow_rate"; break;
        }

        Assert.Contains(named, Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoHost_IsOffAndValid()
    {
        var options = new UplinkOptions();
        options.Validate();
        Assert.False(options.Enabled);
    }
}
