using Irrigation.Devices.Tests.TestSupport;
using Irrigation.Modbus.Values;
using static Irrigation.Devices.RegisterFunction;

namespace Irrigation.Devices.Tests;

/// <summary>Registers of the read plan's responses become named values in engineering units.</summary>
public sealed partial class DeviceReaderTests
{
    // 2305.0f = 0x45101000: bytes A=45 B=10 C=10 D=00.
    [Theory]
    [InlineData(WordOrder.ABCD, 0x4510, 0x1000)]
    [InlineData(WordOrder.CDAB, 0x1000, 0x4510)]
    [InlineData(WordOrder.BADC, 0x1045, 0x0010)]
    [InlineData(WordOrder.DCBA, 0x0010, 0x1045)]
    public void Decode_Dtsu666VoltageInEachWordOrder_Is230Point5Volts(WordOrder order, int first, int second)
    {
        var registers = new ushort[2];
        RegisterCodec.Encode(2305.0, RegisterType.Float32, order, registers);
        Assert.Equal([(ushort)first, (ushort)second], registers);
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, $"wordOrder={order}"), 0);

        var values = reader.Decode(new RegisterImage().Write(Holding, 0x2006, registers).Responses(reader.Plan));

        Assert.Equal(230.5, values.ValueOf("voltage_a"), 9);
        Assert.Equal(0, values.ValueOf("voltage_b"));
    }

    [Fact]
    public void Decode_Dtsu666AbcdRegistersWithCdabOption_GivesAnImplausibleVoltage()
    {
        var registers = new ushort[2];
        RegisterCodec.Encode(2305.0, RegisterType.Float32, WordOrder.ABCD, registers);
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dtsu666, "wordOrder=CDAB"), 0);

        var voltage = reader.Decode(new RegisterImage().Write(Holding, 0x2006, registers).Responses(reader.Plan)).ValueOf("voltage_a");

        // 0x10004510 is about 2.5e-29: nothing like a phase voltage, which is what the word-order probe looks for.
        Assert.NotInRange(voltage, 1.0, 1000.0);
    }

    [Fact]
    public void Decode_Dtsu666_AppliesEachScale()
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dtsu666), 0);
        var image = new RegisterImage()
            .Write(Holding, 0x200C, Float(12345f))   // 12.345 A
            .Write(Holding, 0x2012, Float(81234f))   // 8123.4 W
            .Write(Holding, 0x202A, Float(-930f))    // -0.93
            .Write(Holding, 0x2044, Float(5001f))    // 50.01 Hz
            .Write(Holding, 0x401E, Float(1234.5f)); // kWh

        var values = reader.Decode(image.Responses(reader.Plan));

        Assert.Equal(12.345, values.ValueOf("current_a"), 9);
        Assert.Equal(8123.4, values.ValueOf("active_power"), 9);
        Assert.Equal(-0.93, values.ValueOf("power_factor"), 9);
        Assert.Equal(50.01, values.ValueOf("frequency"), 9);
        Assert.Equal(1234.5, values.ValueOf("forward_energy"), 9);
        Assert.Equal(13, values.Count);
        Assert.All(values, v => Assert.Null(v.Pump));
        Assert.Equal(new QuantityValue("frequency", "frequency", null, values.ValueOf("frequency"), "Hz"), Assert.Single(values, v => v.Key == "frequency"));
    }

    [Fact]
    public void Decode_Adl400SecondarySide_MultipliesByPtAndCtRatios()
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Adl400), 0);
        var image = new RegisterImage()
            .Write(Holding, 97, 2200)                  // 220.0 V secondary
            .Write(Holding, 100, 250)                  // 2.50 A secondary
            .Write(Holding, 119, 5002)                 // 50.02 Hz
            .Write(Holding, 141, 1)                    // PT ratio
            .Write(Holding, 142, 20)                   // CT ratio, e.g. 100/5
            .Write(Holding, 362, Int32(550))           // 550 W secondary
            .Write(Holding, 383, unchecked((ushort)-850)); // -0.850

        var values = reader.Decode(image.Responses(reader.Plan));

        Assert.Equal(220.0, values.ValueOf("voltage_a"), 9);
        Assert.Equal(50.0, values.ValueOf("current_a"), 9);
        Assert.Equal(11000.0, values.ValueOf("active_power"), 9);
        Assert.Equal(50.02, values.ValueOf("frequency"), 9);
        Assert.Equal(-0.85, values.ValueOf("power_factor"), 9);
        Assert.Equal(1, values.ValueOf("pt_ratio"));
        Assert.Equal(20, values.ValueOf("ct_ratio"));
    }

    [Fact]
    public void Decode_Adl400PtRatio10_MultipliesVoltageAndPower()
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Adl400), 0);
        var image = new RegisterImage().Write(Holding, 98, 1000).Write(Holding, 141, 10).Write(Holding, 142, 20).Write(Holding, 362, Int32(-550));

        var values = reader.Decode(image.Responses(reader.Plan));

        Assert.Equal(1000.0, values.ValueOf("voltage_b"), 9);
        Assert.Equal(-110000.0, values.ValueOf("active_power"), 9);
    }

    [Theory]
    [InlineData("primary", 1234.56)]
    [InlineData("secondary", 1234.56 * 10 * 20)]
    public void Decode_Adl400EnergySide_ScalesEnergyByBothRatiosOnlyWhenSecondary(string side, double kWh)
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Adl400, $"energySide={side}"), 0);
        var image = new RegisterImage().Write(Holding, 10, UInt32(123456)).Write(Holding, 141, 10).Write(Holding, 142, 20);

        var values = reader.Decode(image.Responses(reader.Plan));

        Assert.Equal(kWh, values.ValueOf("forward_energy"), 6);
    }

    [Fact]
    public void Decode_Adl400WordOrderCdab_ReadsSwapped32BitValues()
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Adl400, "wordOrder=CDAB"), 0);
        var image = new RegisterImage()
            .Write(Holding, 10, 0xE240, 0x0001)        // 123456 = 0x0001E240, low word first
            .Write(Holding, 141, 1)
            .Write(Holding, 142, 1)
            .Write(Holding, 362, 0x0000, 0x0001);      // 65536 W

        var values = reader.Decode(image.Responses(reader.Plan));

        Assert.Equal(1234.56, values.ValueOf("forward_energy"), 6);
        Assert.Equal(65536.0, values.ValueOf("active_power"), 9);
    }

    [Fact]
    public void Decode_PumpControllerStatusWords_GiveEachPumpsBits()
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.PumpController), 2);
        var image = new RegisterImage()
            .Write(Holding, 0, 0b011)                  // mains present, remote mode, door closed
            .Write(Holding, 1, 250)                    // 2.50 m
            .Write(Holding, 3, Float(180.5f))          // m3/h
            .Write(Holding, 5, UInt32(123456))         // 12345.6 m3
            .Write(Holding, 10, 0b00001)               // pump 1 running
            .Write(Holding, 11, 456)                   // 45.6 A
            .Write(Holding, 16, 594)                   // rated 59.4 A
            .Write(Holding, 20, 0b10110)               // pump 2 fault: over-current and dry running, stopped
            .Write(Holding, 22, 7)
            .Write(Holding, 23, UInt32(123456));       // 1234.56 h

        var values = reader.Decode(image.Responses(reader.Plan));

        Assert.Equal(7 + (2 * 9), values.Count);
        Assert.Equal(1, values.ValueOf("mains_present"));
        Assert.Equal(1, values.ValueOf("remote_mode"));
        Assert.Equal(0, values.ValueOf("door_open"));
        Assert.Equal(2.5, values.ValueOf("sump_level"), 9);
        Assert.Equal(180.5, values.ValueOf("flow_rate"), 9);
        Assert.Equal(12345.6, values.ValueOf("flow_total"), 6);

        Assert.Equal(1, values.ValueOf("pump1.running"));
        Assert.Equal(0, values.ValueOf("pump1.fault"));
        Assert.Equal(45.6, values.ValueOf("pump1.motor_current"), 9);
        Assert.Equal(59.4, values.ValueOf("pump1.rated_current"), 9);

        Assert.Equal(0, values.ValueOf("pump2.running"));
        Assert.Equal(1, values.ValueOf("pump2.fault"));
        Assert.Equal(1, values.ValueOf("pump2.fault_overcurrent"));
        Assert.Equal(0, values.ValueOf("pump2.fault_phase_loss"));
        Assert.Equal(1, values.ValueOf("pump2.fault_dry_run"));
        Assert.Equal(0, values.ValueOf("pump2.motor_current"));
        Assert.Equal(7, values.ValueOf("pump2.starts"));
        Assert.Equal(1234.56, values.ValueOf("pump2.run_hours"), 6);

        var running2 = Assert.Single(values, v => v.Key == "pump2.running");
        Assert.Equal(("running", (int?)2), (running2.Name, running2.Pump));
    }

    [Theory]
    [InlineData("running", 10)]
    [InlineData("fault_dry_run", 10)]
    [InlineData("motor_current", 11)]
    [InlineData("starts", 12)]
    [InlineData("run_hours", 13)]
    public void Expand_PumpQuantity_IsTenRegistersAfterThePumpBefore(string name, int pump1Address)
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.PumpController), 4);

        Assert.Equal(
            [pump1Address, pump1Address + 10, pump1Address + 20, pump1Address + 30],
            Enumerable.Range(1, 4).Select(p => (int)reader.Quantity($"pump{p}.{name}").Definition.Address));
    }

    [Fact]
    public void Decode_WrongNumberOfResponses_Throws()
    {
        var reader = new DeviceReader(ShippedProfiles.Resolve(ShippedProfiles.Dtsu666), 0);

        Assert.Throws<ArgumentException>(() => reader.Decode([new ushort[70]]));
    }

    private static ushort[] Float(float value) => Registers(value, RegisterType.Float32);

    private static ushort[] Int32(int value) => Registers(value, RegisterType.Int32);

    private static ushort[] UInt32(uint value) => Registers(value, RegisterType.UInt32);

    private static ushort[] Registers(double value, RegisterType type)
    {
        var registers = new ushort[type.RegisterCount()];
        RegisterCodec.Encode(value, type, WordOrder.ABCD, registers);
        return registers;
    }
}
