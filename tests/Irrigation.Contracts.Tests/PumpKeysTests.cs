using System.Text;

namespace Irrigation.Contracts.Tests;

public sealed class PumpKeysTests
{
    [Fact]
    public void For_Pump2Running_IsTheConvention() => Assert.Equal("pump2.running", PumpKeys.For(2, "running"));

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void For_PumpOutOfRange_Throws(int pump) => Assert.Throws<ArgumentOutOfRangeException>(() => PumpKeys.For(pump, "running"));

    [Theory]
    [InlineData("pump1.running", 1, "running")]
    [InlineData("pump12.motor_current", 12, "motor_current")]
    public void TryParse_PumpKey_SplitsNumberAndQuantity(string key, int pump, string quantity)
    {
        Assert.True(PumpKeys.TryParse(key, out var n, out var name));
        Assert.Equal((pump, quantity), (n, name));
        Assert.True(PumpKeys.TryParse(Encoding.UTF8.GetBytes(key), out var m, out var start));
        Assert.Equal((pump, quantity), (m, key[start..]));
    }

    [Theory]
    [InlineData("voltage_a")]
    [InlineData("pump.running")]
    [InlineData("pump0.running")]
    [InlineData("pump123.running")]
    [InlineData("pumpx.running")]
    [InlineData("pump1.")]
    [InlineData("pump1running")]
    [InlineData("")]
    public void TryParse_NotAPumpKey_IsFalse(string key)
    {
        Assert.False(PumpKeys.TryParse(key, out var pump, out var quantity));
        Assert.Equal((0, key), (pump, quantity));
        Assert.False(PumpKeys.TryParse(Encoding.UTF8.GetBytes(key), out _, out _));
    }
}
