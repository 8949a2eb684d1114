using Irrigation.Dlt645.Framing;

namespace Irrigation.Dlt645.Tests;

public sealed class Dlt645AddressTests
{
    [Fact]
    public void WriteTo_NameplateOrderIsReversedOnTheWire()
    {
        var bytes = new byte[6];
        Dlt645Address.Parse("123456789012").WriteTo(bytes);
        Assert.Equal("12 90 78 56 34 12", Hex.Format(bytes));
        Assert.Equal("123456789012", Dlt645Address.FromWire(bytes).ToString());
    }

    [Fact]
    public void Parse_ShortAddress_IsPaddedWithLeadingZeros() =>
        Assert.Equal("000000000161", Dlt645Address.Parse("161").ToString());

    [Theory]
    [InlineData("AAAAAAAAAAAA", "123456789012", true)]
    [InlineData("AAAA56789012", "123456789012", true)]
    [InlineData("AAAA56789013", "123456789012", false)]
    [InlineData("123456789012", "123456789012", true)]
    [InlineData("123456789012", "123456789013", false)]
    public void Addresses_WildcardHighBytes_MatchAsTheStandardSays(string request, string meter, bool expected) =>
        Assert.Equal(expected, Dlt645Address.Parse(request).Addresses(Dlt645Address.Parse(meter)));

    [Theory]
    [InlineData("12AA56789012")]
    [InlineData("1234567890123")]
    [InlineData("12345678901X")]
    [InlineData("")]
    public void TryParse_NotAnAddress_IsFalse(string text) => Assert.False(Dlt645Address.TryParse(text, out _));

    [Fact]
    public void Wildcard_AndBroadcast_AreWhatTheStandardNames()
    {
        Assert.Equal("AAAAAAAAAAAA", Dlt645Address.Wildcard.ToString());
        Assert.True(Dlt645Address.Wildcard.HasWildcards);
        Assert.True(Dlt645Address.Broadcast.IsBroadcast);
        Assert.False(Dlt645Address.Parse("123456789012").HasWildcards);
    }
}
