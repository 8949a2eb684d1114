using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Values;

namespace Irrigation.Dlt645.Tests;

public sealed class Dlt645DataFormatTests
{
    [Theory]
    [InlineData("XXX.X", false, "230.1", "01 23")]
    [InlineData("XXX.XXX", true, "12.345", "45 23 01")]
    [InlineData("XXX.XXX", true, "-12.345", "45 23 81")]
    [InlineData("XX.XXXX", true, "-1.2345", "45 23 81")]
    [InlineData("XX.XXXX", true, "79.9999", "99 99 79")]
    [InlineData("X.XXX", true, "-0.866", "66 88")]
    [InlineData("X.XXX", true, "1.000", "00 10")]
    [InlineData("XX.XX", false, "50.00", "00 50")]
    [InlineData("XXXXXX.XX", false, "123456.78", "78 56 34 12")]
    [InlineData("XXXXXX.XX", false, "999999.99", "99 99 99 99")]
    [InlineData("XXXXXX.XX", true, "-0.01", "01 00 00 80")]
    public void EncodeDecode_ExactBytesLowFirst(string pattern, bool signed, string value, string hex)
    {
        var format = Dlt645DataFormat.Parse(pattern, signed);
        var number = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(hex, Hex.Format(format.Encode(number)));
        Assert.Equal(number, format.Decode(Hex.Parse(hex)));
    }

    [Fact]
    public void Encode_TheStandardsTransmissionOrderExample_123456Point78()
    {
        // §7.3.2: "电能值为 123456.78 kWh" is sent 78 56 34 12 (before the +33H).
        Assert.Equal("78 56 34 12", Hex.Format(Dlt645DataFormat.Parse("XXXXXX.XX").Encode(123456.78m)));
    }

    [Fact]
    public void Encode_RoundsHalfAwayFromZeroAndKeepsNoNegativeZero()
    {
        var power = Dlt645DataFormat.Parse("XX.XXXX", signed: true);
        Assert.Equal("13 00 00", Hex.Format(power.Encode(0.00125m)));
        Assert.Equal("13 00 80", Hex.Format(power.Encode(-0.00125m)));
        Assert.Equal("00 00 00", Hex.Format(power.Encode(-0.00004m)));
    }

    [Theory]
    [InlineData("XX.XXXX", true, "80")]
    [InlineData("XXX.X", false, "1000")]
    [InlineData("XXX.X", false, "-1")]
    public void Encode_OutOfRange_Throws(string pattern, bool signed, string value)
    {
        var format = Dlt645DataFormat.Parse(pattern, signed);
        Assert.Throws<ArgumentOutOfRangeException>(() => format.Encode(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("FF FF")]
    [InlineData("0A 00")]
    [InlineData("01")]
    public void TryDecode_NotBcdOrShort_IsFalse(string hex) =>
        Assert.False(Dlt645DataFormat.Parse("XXX.X").TryDecode(Hex.Parse(hex), out _));

    [Theory]
    [InlineData("XXX")]
    [InlineData("XX.X.X")]
    [InlineData("XY.XX")]
    [InlineData("")]
    public void Parse_NotAFormat_Throws(string pattern) => Assert.Throws<FormatException>(() => Dlt645DataFormat.Parse(pattern));

    [Fact]
    public void Quantities_TheBriefsIdentifiers_HaveTheStandardsFormats()
    {
        string Describe(Dlt645Quantity q) => $"{q.Identifier} {q.Format} {q.Unit} x{q.Count}";
        Assert.Equal(
            [
                "00000000 ±XXXXXX.XX kWh x1", "00010000 XXXXXX.XX kWh x1",
                "02010100 XXX.X V x1", "02010200 XXX.X V x1", "02010300 XXX.X V x1", "0201FF00 XXX.X V x3",
                "02020100 ±XXX.XXX A x1", "02020200 ±XXX.XXX A x1", "02020300 ±XXX.XXX A x1", "0202FF00 ±XXX.XXX A x3",
                "02030000 ±XX.XXXX kW x1", "02060000 ±X.XXX  x1", "02800002 XX.XX Hz x1",
            ],
            Dlt645Quantities.All.Select(Describe));
    }

    [Fact]
    public void DataIdentifier_IsSentDi0First()
    {
        var bytes = new byte[4];
        Dlt645DataIdentifier.Parse("02800002").WriteTo(bytes);
        Assert.Equal("02 00 80 02", Hex.Format(bytes));
        Assert.Equal("02800002", Dlt645DataIdentifier.Read(bytes).ToString());
    }
}
