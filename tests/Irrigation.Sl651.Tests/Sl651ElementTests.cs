using Irrigation.Sl651.Values;

namespace Irrigation.Sl651.Tests;

public sealed class Sl651ElementTests
{
    [Theory]
    [InlineData(0x39, 4, 3, "14.42", "39 23 00 01 44 20")]
    [InlineData(0x38, 2, 2, "12.2", "38 12 12 20")]
    [InlineData(0x20, 3, 1, "10", "20 19 00 01 00")]
    [InlineData(0x70, 2, 1, "380.4", "70 11 38 04")]
    [InlineData(0x27, 5, 3, "0.125", "27 2B 00 00 00 01 25")]
    // §6.6.3.3a: a negative value gets a leading FFH and its byte count grows by one (odd digit count: FF0…).
    [InlineData(0x39, 4, 3, "-1.5", "39 2B FF 00 00 15 00")]
    [InlineData(0x27, 5, 3, "-2.25", "27 33 FF 00 00 00 22 50")]
    public void Number_Encodes(byte leader, int bytes, int decimals, string value, string wire)
    {
        var element = Sl651Element.Number(leader, bytes, decimals, decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(wire, Hex.Format([element.Identifier.Leader, element.Identifier.Definition, .. element.Data.Span]));
        Assert.True(element.TryGetNumber(out var back));
        Assert.Equal(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture), back);
    }

    [Fact]
    public void Number_TooBigForItsBytes_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Sl651Element.Number(Sl651Elements.VoltageA, 1000.0m));

    [Fact]
    public void Number_RoundsToItsDecimals() =>
        Assert.Equal("22 05", Hex.Format(Sl651Element.Number(Sl651Elements.VoltageA, 220.46m).Data.Span));

    [Fact]
    public void TryGetNumber_NonDigitNibble_IsFalse() =>
        Assert.False(new Sl651Element(new Sl651ElementIdentifier(0x39, 0x23), Hex.Parse("00 0A 00 00")).TryGetNumber(out _));

    [Fact]
    public void StandardDefinitions_MatchTableC1()
    {
        // N(4,1) → 2 bytes, 1 decimal: 11H; N(7,3) → 4 bytes, 3 decimals: 23H; N(9,3) → 5 bytes: 2BH; N(4,2): 12H.
        Assert.Equal(0x11, Sl651Elements.VoltageA.Identifier.Definition);
        Assert.Equal(0x11, Sl651Elements.CurrentC.Identifier.Definition);
        Assert.Equal(0x23, Sl651Elements.RiverLevel.Identifier.Definition);
        Assert.Equal(0x2B, Sl651Elements.Flow.Identifier.Definition);
        Assert.Equal(0x12, Sl651Elements.SupplyVoltage.Identifier.Definition);
        Assert.Equal(0x19, Sl651Elements.Rainfall.Identifier.Definition);
        Assert.Equal(0x08, Sl651Elements.UnitsRunning.Identifier.Definition);
        Assert.Equal(0x20, Sl651Elements.Status.Definition);
    }
}
