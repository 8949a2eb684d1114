using System.Buffers;
using Irrigation.Influx.LineProtocol;

namespace Irrigation.Influx.Tests;

public sealed class PointDataTests
{
    [Fact]
    public void ToLineProtocol_TagsAddedInAnyOrder_SortsThemOrdinally()
    {
        var a = PointData.Create("pump").Tag("station", "s1").Tag("pump", "P1").Tag("Zone", "north").Field("flow", 1.5).Timestamp(1000);
        var b = PointData.Create("pump").Tag("Zone", "north").Tag("pump", "P1").Tag("station", "s1").Field("flow", 1.5).Timestamp(1000);
        Assert.Equal("pump,Zone=north,pump=P1,station=s1 flow=1.5 1000", a.ToLineProtocol());
        Assert.Equal(a.ToLineProtocol(), b.ToLineProtocol());
    }

    [Fact]
    public void ToLineProtocol_FieldsOfEveryType_SortedByKey() =>
        Assert.Equal("m a=true,b=-3i,c=7i,d=0.25,e=\"x\"",
            PointData.Create("m").Field("e", "x").Field("d", 0.25).Field("c", 7UL).Field("b", -3L).Field("a", true).ToLineProtocol());

    [Fact]
    public void ToLineProtocol_UnsignedSuffix_WritesU() =>
        Assert.Equal("m c=7u", PointData.Create("m").Field("c", 7UL).ToLineProtocol(unsignedSuffix: true));

    [Fact]
    public void Tag_ReturnsNewPoint_LeavesOriginalUnchanged()
    {
        var original = PointData.Create("m").Field("v", 1.0);
        var tagged = original.Tag("station", "s1");
        Assert.Empty(original.Tags);
        Assert.Equal("s1", tagged.Tags["station"]);
        Assert.NotSame(original, tagged);
    }

    [Fact]
    public void Tag_SameKeyTwice_LastValueWins() =>
        Assert.Equal("m,s=b v=1", PointData.Create("m").Tag("s", "a").Tag("s", "b").Field("v", 1.0).ToLineProtocol());

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Tag_NullOrEmptyValue_RemovesTheTag(string? value) =>
        Assert.Equal("m v=1", PointData.Create("m").Tag("s", "a").Tag("s", value).Field("v", 1.0).ToLineProtocol());

    [Fact]
    public void Timestamp_DateTimeOffset_UsesUnixMilliseconds() =>
        Assert.Equal(1_700_000_000_123, PointData.Create("m").Timestamp(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123)).TimestampMs);

    [Fact]
    public void Create_MeasurementThatCannotBeWritten_ThrowsWhereItIsMade()
    {
        Assert.Throws<ArgumentException>(() => PointData.Create("#m"));
        Assert.Throws<ArgumentException>(() => PointData.Create("m").Tag("station", "a\nb"));
        Assert.Throws<ArgumentException>(() => PointData.Create("m").Field("a\\", 1.0));
    }

    [Fact]
    public void ToLineProtocol_OnlyNaN_IsEmpty() =>
        Assert.Equal("", PointData.Create("m").Field("v", double.NaN).ToLineProtocol());

    [Fact]
    public void WriteTo_KeysAcrossSurrogatesAndPrivateUse_InTheOrderTheWriterRequires()
    {
        // U+FF01 sorts before U+1F600 by code point (and UTF-8 bytes) but after its surrogates by UTF-16 unit.
        var point = PointData.Create("m").Tag("😀", "a").Tag("！", "b").Field("v", 1.0);
        Assert.Equal(["！", "😀"], point.Tags.Keys);
        using var writer = new LineProtocolWriter(new ArrayBufferWriter<byte>());
        Assert.True(point.WriteTo(writer));
    }

    [Fact]
    public void TagKeyComparer_AgreesWithUtf8ByteOrder()
    {
        string[] keys = ["b", "a", "B", "é", "城", "😀", "！", "\uE000", "a b", "a!", ""];
        var byComparer = keys.Order(TagKeyComparer.Instance).ToArray();
        var byUtf8 = keys.OrderBy(k => System.Text.Encoding.UTF8.GetBytes(k), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToArray();
        Assert.Equal(byUtf8, byComparer);
    }
}
