using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Tests.TestSupport;

namespace Irrigation.Modbus.Tests;

public sealed class ModbusCrc16Tests
{
    [Theory]
    [InlineData("01 03 00 00 00 01", "84 0A")]
    [InlineData("01 03 00 00 00 0A", "C5 CD")]
    [InlineData("11 03 00 6B 00 03", "76 87")] // The widely published slave-17 read of holding registers 108-110.
    public void Compute_KnownFrames_GivesWireBytesLowFirst(string frame, string wire)
    {
        var crc = ModbusCrc16.Compute(Hex.Parse(frame));
        Assert.Equal(wire, Hex.Format([(byte)crc, (byte)(crc >> 8)]));
    }

    [Fact]
    public void Compute_CheckString_MatchesCrc16ModbusCheckValue() =>
        Assert.Equal(0x4B37, ModbusCrc16.Compute("123456789"u8));

    [Fact]
    public void Compute_Empty_IsInitialValue() => Assert.Equal(0xFFFF, ModbusCrc16.Compute([]));

    [Fact]
    public void Compute_RandomData_MatchesBitwiseReference()
    {
        var random = new Random(1234);
        for (var length = 0; length < 300; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(ReferenceCrc.Compute(data), ModbusCrc16.Compute(data));
        }
    }

    [Theory]
    [InlineData("01 03 00 00 00 01 84 0A")]
    [InlineData("01 03 00 00 00 0A C5 CD")]
    public void IsValid_FrameWithItsCrc_IsTrue(string frame) => Assert.True(ModbusCrc16.IsValid(Hex.Parse(frame)));

    [Theory]
    [InlineData("01 03 00 00 00 01 0A 84")] // CRC bytes swapped
    [InlineData("01 03 00 00 00 02 84 0A")] // payload changed
    [InlineData("01 03 00 00 00 01 84 0B")]
    [InlineData("84 0A")] // too short to hold anything
    [InlineData("")]
    public void IsValid_WrongOrShortFrame_IsFalse(string frame) => Assert.False(ModbusCrc16.IsValid(Hex.Parse(frame)));

    [Fact]
    public void IsValid_EverySingleBitFlip_IsFalse()
    {
        var frame = Hex.Parse("01 03 00 00 00 0A C5 CD");
        for (var bit = 0; bit < frame.Length * 8; bit++)
        {
            var damaged = (byte[])frame.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(ModbusCrc16.IsValid(damaged), $"bit {bit} flipped");
        }
    }
}
