using System.Text;
using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;

namespace Irrigation.Influx.Tests;

/// <summary>Error texts exactly as influxd 1.6.7 wrote them in the experiments recorded in docs/influx-client.md.</summary>
public sealed class InfluxWriteErrorTextTests
{
    [Fact]
    public void Message_InfluxV1Json_IsTheErrorMember() =>
        Assert.Equal("partial write: points beyond retention policy dropped=1",
            InfluxWriteErrorText.Message("{\"error\":\"partial write: points beyond retention policy dropped=1\"}\n", null));

    [Fact]
    public void Message_InfluxV2Json_IsTheMessageMember() =>
        Assert.Equal("failed to parse line protocol", InfluxWriteErrorText.Message("{\"code\":\"invalid\",\"message\":\"failed to parse line protocol\"}", null));

    [Fact]
    public void Message_EmptyBody_FallsBackToHeader() =>
        Assert.Equal("Request Entity Too Large", InfluxWriteErrorText.Message("", "Request Entity Too Large"));

    [Fact]
    public void PartialWriteDrops_FieldTypeConflict_CountsDropped()
    {
        const string message = "partial write: field type conflict: input field \"v\" on measurement \"m\" is type string, already exists as type float dropped=3";
        Assert.True(InfluxWriteErrorText.IsPartialWrite(message));
        var drop = Assert.Single(InfluxWriteErrorText.PartialWriteDrops(message, 10));
        Assert.Equal(InfluxDropReason.FieldTypeConflict, drop.Reason);
        Assert.Equal(3, drop.Count);
        Assert.StartsWith("field type conflict", drop.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PartialWriteDrops_ParseErrorsWithDroppedZero_CountsEachNamedLine()
    {
        const string message = "partial write: unable to parse 'm2,s=b v= 2': missing field value\nunable to parse 'm2,s=c w= 3': missing field value dropped=0";
        var drop = Assert.Single(InfluxWriteErrorText.PartialWriteDrops(message, 4));
        Assert.Equal(InfluxDropReason.Unparsable, drop.Reason);
        Assert.Equal(2, drop.Count);
    }

    [Fact]
    public void PartialWriteDrops_BeyondRetention_Classified()
    {
        var drop = Assert.Single(InfluxWriteErrorText.PartialWriteDrops("partial write: points beyond retention policy dropped=1", 2));
        Assert.Equal(InfluxDropReason.BeyondRetention, drop.Reason);
        Assert.Equal(1, drop.Count);
    }

    [Fact]
    public void PartialWriteDrops_InvalidTagKey_IsRejected()
    {
        var drop = Assert.Single(InfluxWriteErrorText.PartialWriteDrops("partial write: invalid tag key: input tag \"time\" on measurement \"tt\" is invalid dropped=1", 2));
        Assert.Equal(InfluxDropReason.Rejected, drop.Reason);
    }

    [Fact]
    public void PartialWriteDrops_MoreThanTheBatch_ClampedToPoints() =>
        Assert.Equal(2, InfluxWriteErrorText.PartialWriteDrops("partial write: field type conflict: x dropped=9", 2).Sum(d => d.Count));

    [Fact]
    public void NamedLines_InfluxV1UnableToParse_FindsEachQuotedLine()
    {
        var batch = Lines.Utf8("garbage", "m v=1 1", "more junk 'quoted'");
        var named = InfluxWriteErrorText.NamedLines(batch, "unable to parse 'garbage': missing fields\nunable to parse 'more junk 'quoted'': invalid field format");
        Assert.Equal([0, 2], named);
    }

    [Fact]
    public void NamedLines_InfluxV2LineNumbers_AreZeroBased()
    {
        var batch = Lines.Utf8("a v=1", "b v=", "c v=3", "d v=");
        var named = InfluxWriteErrorText.NamedLines(batch, "failed to parse line protocol:\nerrors encountered on line(s):\nline 2: invalid field format\nline 4: invalid field format");
        Assert.Equal([1, 3], named);
    }

    [Fact]
    public void NamedLines_NothingNamed_IsEmpty() =>
        Assert.Empty(InfluxWriteErrorText.NamedLines(Lines.Utf8("a v=1"), "bad request"));

    [Fact]
    public void LineRanges_SkipsEmptyLinesAndMissingFinalLineFeed()
    {
        var batch = Encoding.UTF8.GetBytes("a v=1\n\nb v=2");
        var ranges = InfluxWriteErrorText.LineRanges(batch);
        Assert.Equal(["a v=1", "b v=2"], ranges.Select(r => Encoding.UTF8.GetString(batch.AsSpan(r))));
    }
}
