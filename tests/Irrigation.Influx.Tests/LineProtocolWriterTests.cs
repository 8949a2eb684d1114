using System.Buffers;
using System.Text;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Tests.TestSupport;

namespace Irrigation.Influx.Tests;

/// <summary>Exact line protocol per escaping class and field type (InfluxDB v1 line protocol reference).</summary>
public sealed class LineProtocolWriterTests
{
    [Fact]
    public void BeginPoint_MeasurementWithCommaAndSpace_EscapesBoth() =>
        Assert.Equal("pump\\ station\\,east v=1\n", Lines.Point("pump station,east", w => w.Field("v", 1.0)));

    [Fact]
    public void BeginPoint_MeasurementWithEqualsSignAndQuote_WritesThemLiterally() =>
        Assert.Equal("a=b\"c v=1\n", Lines.Point("a=b\"c", w => w.Field("v", 1.0)));

    [Fact]
    public void Tag_KeyWithCommaEqualsAndSpace_EscapesEach() =>
        Assert.Equal("m,tag\\ key\\,x\\=y=v v=1\n", Lines.Point("m", w =>
        {
            w.Tag("tag key,x=y", "v");
            w.Field("v", 1.0);
        }));

    [Fact]
    public void Tag_ValueWithCommaEqualsAndSpace_EscapesEach() =>
        Assert.Equal("m,station=East\\ 1\\,a\\=b v=1\n", Lines.Point("m", w =>
        {
            w.Tag("station", "East 1,a=b");
            w.Field("v", 1.0);
        }));

    [Fact]
    public void Tag_ValueWithQuotesAndBackslashBeforeLetter_WritesThemLiterally() =>
        Assert.Equal("m,path=C:\\temp\\x\"y\" v=1\n", Lines.Point("m", w =>
        {
            w.Tag("path", "C:\\temp\\x\"y\"");
            w.Field("v", 1.0);
        }));

    [Fact]
    public void Field_KeyWithCommaEqualsAndSpace_EscapesEach() =>
        Assert.Equal("m flow\\ rate\\,m3\\=h=2.5\n", Lines.Point("m", w => w.Field("flow rate,m3=h", 2.5)));

    [Fact]
    public void Field_StringWithQuotesAndBackslashes_QuotesAndEscapesThem() =>
        Assert.Equal("m s=\"say \\\"hi\\\" C:\\\\dir\\\\\"\n", Lines.Point("m", w => w.Field("s", "say \"hi\" C:\\dir\\")));

    [Fact]
    public void Field_StringWithCommaEqualsSpace_LeavesThemUnescapedInsideQuotes() =>
        Assert.Equal("m s=\"a, b=c\"\n", Lines.Point("m", w => w.Field("s", "a, b=c")));

    [Fact]
    public void Field_EmptyString_WritesEmptyQuotes() =>
        Assert.Equal("m s=\"\"\n", Lines.Point("m", w => w.Field("s", "")));

    [Fact]
    public void Point_UnicodeEverywhere_WritesUtf8() =>
        Assert.Equal("城东镇,站=城东镇\\ 1号 状态=\"运行中\",流量=12.5\n", Lines.Point("城东镇", w =>
        {
            w.Tag("站", "城东镇 1号");
            w.Field("状态", "运行中");
            w.Field("流量", 12.5);
        }));

    [Fact]
    public void Point_UnicodeEverywhere_IsValidUtf8Bytes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(buffer);
        writer.BeginPoint("城东镇");
        writer.Field("v", 1.0);
        writer.EndPoint();
        Assert.Equal([0xE5, 0x9F, 0x8E, 0xE4, 0xB8, 0x9C, 0xE9, 0x95, 0x87, (byte)' '], buffer.WrittenSpan[..10].ToArray());
    }

    [Theory]
    [InlineData(1.5, "1.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(3.0, "3")]
    [InlineData(-0.0, "-0")]
    [InlineData(1e21, "1E+21")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157E+308")]
    [InlineData(5e-324, "5E-324")]
    [InlineData(-273.15, "-273.15")]
    public void Field_Double_WritesShortestRoundTripInvariant(double value, string expected) =>
        Assert.Equal($"m v={expected}\n", Lines.Point("m", w => w.Field("v", value)));

    [Theory]
    [InlineData(0L, "0i")]
    [InlineData(-42L, "-42i")]
    [InlineData(long.MaxValue, "9223372036854775807i")]
    [InlineData(long.MinValue, "-9223372036854775808i")]
    public void Field_Long_WritesIntegerWithSuffixI(long value, string expected) =>
        Assert.Equal($"m v={expected}\n", Lines.Point("m", w => w.Field("v", value)));

    [Fact]
    public void Field_UlongWithUnsignedSuffix_WritesSuffixU() =>
        Assert.Equal("m v=18446744073709551615u\n", Lines.Point("m", w => w.Field("v", ulong.MaxValue), unsignedSuffix: true));

    [Fact]
    public void Field_UlongWithoutUnsignedSuffix_WritesIntegerWithSuffixI() =>
        Assert.Equal("m v=42i\n", Lines.Point("m", w => w.Field("v", 42UL)));

    [Fact]
    public void Field_UlongAboveLongMaxWithoutUnsignedSuffix_IsSkippedAndCounted()
    {
        long skipped = 0;
        var text = Lines.Write(w =>
        {
            w.BeginPoint("m");
            w.Field("big", ulong.MaxValue);
            w.Field("ok", 1L);
            w.EndPoint();
            skipped = w.FieldsSkipped;
        });
        Assert.Equal("m ok=1i\n", text);
        Assert.Equal(1, skipped);
    }

    [Fact]
    public void Field_Booleans_WriteTrueAndFalse() =>
        Assert.Equal("m a=true,b=false\n", Lines.Point("m", w =>
        {
            w.Field("a", true);
            w.Field("b", false);
        }));

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Field_NonFiniteDouble_IsSkippedAndCounted(double value)
    {
        long skipped = 0;
        var text = Lines.Write(w =>
        {
            w.BeginPoint("m");
            w.Field("bad", value);
            w.Field("good", 2.0);
            w.EndPoint();
            skipped = w.FieldsSkipped;
        });
        Assert.Equal("m good=2\n", text);
        Assert.Equal(1, skipped);
    }

    [Fact]
    public void EndPoint_OnlyNaNFields_OmitsThePointAndCountsIt()
    {
        long omitted = 0, written = 0;
        bool ended = true;
        var text = Lines.Write(w =>
        {
            w.BeginPoint("m");
            w.Tag("station", "s1");
            w.Field("v", double.NaN);
            w.Timestamp(1_700_000_000_000);
            ended = w.EndPoint();
            w.BeginPoint("m");
            w.Field("v", 1.0);
            w.EndPoint();
            omitted = w.PointsOmitted;
            written = w.PointsWritten;
        });
        Assert.False(ended);
        Assert.Equal("m v=1\n", text);
        Assert.Equal(1, omitted);
        Assert.Equal(1, written);
    }

    [Fact]
    public void EndPoint_NoFieldAtAll_WritesNothing() =>
        Assert.Equal("", Lines.Point("m", w => w.Tag("a", "b")));

    [Fact]
    public void Timestamp_UnixMilliseconds_EndsTheLine() =>
        Assert.Equal("m,station=s1 v=1 1700000000123\n", Lines.Point("m", w =>
        {
            w.Tag("station", "s1");
            w.Field("v", 1.0);
            w.Timestamp(1_700_000_000_123);
        }));

    [Fact]
    public void Timestamp_BeforeEpoch_WritesNegativeMilliseconds() =>
        Assert.Equal("m v=1 -1000\n", Lines.Point("m", w =>
        {
            w.Field("v", 1.0);
            w.Timestamp(-1000);
        }));

    [Fact]
    public void Tag_KeysInAscendingOrder_AreWrittenInThatOrder() =>
        Assert.Equal("m,A=1,B=2,a=3,b=4 v=1\n", Lines.Point("m", w =>
        {
            w.Tag("A", "1");
            w.Tag("B", "2");
            w.Tag("a", "3");
            w.Tag("b", "4");
            w.Field("v", 1.0);
        }));

    [Theory]
    [InlineData("b", "a")]
    [InlineData("a", "a")]
    [InlineData("a", "B")]
    [InlineData("é", "z")]
    public void Tag_KeyNotAfterPrevious_ThrowsInvalidOperation(string first, string second)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(buffer);
        writer.BeginPoint("m");
        writer.Tag(first, "1");
        var ex = Assert.Throws<InvalidOperationException>(() => writer.Tag(second, "2"));
        Assert.Contains("order", ex.Message, StringComparison.Ordinal);
        Assert.False(writer.InPoint);
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public void Tag_EmptyValue_IsLeftOutButStillOrdered()
    {
        Assert.Equal("m,b=2 v=1\n", Lines.Point("m", w =>
        {
            w.Tag("a", "");
            w.Tag("b", "2");
            w.Field("v", 1.0);
        }));
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(buffer);
        writer.BeginPoint("m");
        writer.Tag("b", "");
        Assert.Throws<InvalidOperationException>(() => writer.Tag("a", "1"));
    }

    [Theory]
    [InlineData("line1\nline2")]
    [InlineData("ends with backslash\\")]
    [InlineData("backslash\\,comma")]
    [InlineData("backslash\\=equals")]
    [InlineData("backslash\\ space")]
    [InlineData("double\\\\backslash")]
    [InlineData("backslash\\\"quote")]
    public void Tag_ValueNoServerReadsBack_ThrowsArgumentAndWritesNothing(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(buffer);
        writer.BeginPoint("m");
        Assert.Throws<ArgumentException>(() => writer.Tag("station", value));
        Assert.False(writer.InPoint);

        writer.BeginPoint("m");
        writer.Field("v", 1.0);
        writer.EndPoint();
        Assert.Equal("m v=1\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("#comment")]
    [InlineData("trailing\\")]
    [InlineData("\tleading tab")]
    [InlineData("")]
    public void BeginPoint_MeasurementNoServerReadsBack_ThrowsArgument(string measurement)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(buffer);
        Assert.Throws<ArgumentException>(() => writer.BeginPoint(measurement));
        Assert.False(writer.InPoint);
    }

    [Fact]
    public void BeginPoint_HashInsideMeasurement_IsWrittenLiterally() =>
        Assert.Equal("a#b v=1\n", Lines.Point("a#b", w => w.Field("v", 1.0)));

    [Fact]
    public void Field_StringWithLineFeed_IsSkippedAndCounted()
    {
        long skipped = 0;
        var text = Lines.Write(w =>
        {
            w.BeginPoint("m");
            w.Field("alarm", "line1\nline2");
            w.Field("v", 1.0);
            w.EndPoint();
            skipped = w.FieldsSkipped;
        });
        Assert.Equal("m v=1\n", text);
        Assert.Equal(1, skipped);
    }

    [Fact]
    public void Field_StringWithCarriageReturnAndTab_WritesThemRaw() =>
        Assert.Equal("m s=\"a\rb\tc\"\n", Lines.Point("m", w => w.Field("s", "a\rb\tc")));

    [Theory]
    [InlineData("a\nb")]
    [InlineData("\tleading tab")]
    [InlineData("quote\\\"d")]
    public void Field_KeyNoServerReadsBack_ThrowsArgument(string key)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(buffer);
        writer.BeginPoint("m");
        Assert.Throws<ArgumentException>(() => writer.Field(key, 1.0));
    }

    [Fact]
    public void Tag_ValueStartingWithTab_WrittenRaw() =>
        Assert.Equal("m,t=\tx v=1\n", Lines.Point("m", w =>
        {
            w.Tag("t", "\tx");
            w.Field("v", 1.0);
        }));

    [Fact]
    public void Write_SeveralPoints_WritesOneLineEach() =>
        Assert.Equal("a v=1i 1\nb,t=x s=\"y\" 2\n", Lines.Write(w =>
        {
            w.BeginPoint("a");
            w.Field("v", 1L);
            w.Timestamp(1);
            w.EndPoint();
            w.BeginPoint("b");
            w.Tag("t", "x");
            w.Field("s", "y");
            w.Timestamp(2);
            w.EndPoint();
        }));

    [Fact]
    public void Utf8Overloads_SameTextAsCharOverloads() =>
        Assert.Equal("城东镇,站=东\\ 1 v=1\n", Lines.Write(w =>
        {
            w.BeginPoint("城东镇"u8);
            w.Tag("站"u8, "东 1"u8);
            w.Field("v", 1.0);
            w.EndPoint();
        }));

    [Fact]
    public void Calls_OutOfOrder_ThrowInvalidOperation()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(buffer);
        Assert.Throws<InvalidOperationException>(() => writer.Field("v", 1.0));
        Assert.Throws<InvalidOperationException>(() => writer.EndPoint());
        writer.BeginPoint("m");
        Assert.Throws<InvalidOperationException>(() => writer.BeginPoint("n"));
        writer.Field("v", 1.0);
        Assert.Throws<InvalidOperationException>(() => writer.Tag("late", "x"));
        writer.Timestamp(5);
        Assert.Throws<InvalidOperationException>(() => writer.Timestamp(6));
        Assert.Throws<InvalidOperationException>(() => writer.Field("w", 2.0));
    }

    [Fact]
    public void Write_LongValues_GrowTheScratchBuffer()
    {
        var value = new string('x', 10_000) + " ,=" + new string('城', 3_000);
        var text = Lines.Point("m", w =>
        {
            w.Tag("t", value);
            w.Field("s", value);
        });
        var escaped = new string('x', 10_000) + "\\ \\,\\=" + new string('城', 3_000);
        Assert.Equal($"m,t={escaped} s=\"{value}\"\n", text);
    }

    [Fact]
    public void Write_ManyPointsAfterWarmUp_AllocatesNothingPerPoint()
    {
        var buffer = new ArrayBufferWriter<byte>(4 * 1024 * 1024);
        using var writer = new LineProtocolWriter(buffer);
        WritePoints(writer, 100);
        buffer.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        WritePoints(writer, 10_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(10_000 + 100, writer.PointsWritten);
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 10,000 points");

        static void WritePoints(LineProtocolWriter writer, int count)
        {
            for (var i = 0; i < count; i++)
            {
                writer.BeginPoint("pump_station");
                writer.Tag("pump", "P1");
                writer.Tag("station", "城东镇 1号");
                writer.Field("flow", 12.345 + i);
                writer.Field("running", true);
                writer.Field("starts", (long)i);
                writer.Field("state", "running \"ok\"");
                writer.Timestamp(1_700_000_000_000 + i);
                writer.EndPoint();
            }
        }
    }
}
