using System.Text;
using Irrigation.Contracts;

namespace Irrigation.Contracts.Tests;

/// <summary>Repair requests and results: exact bytes, round trips, and every malformed payload refused with a reason.</summary>
public sealed class RepairPayloadTests
{
    [Fact]
    public void Request_ExactBytes_AndRoundTrip()
    {
        var request = new RepairRequestMessage("r-1", "st001", "a1b2", [new SequenceRange(11, 20), new SequenceRange(31, 31)], 1764806400000);

        var bytes = RepairPayload.Write(request);

        Assert.Equal("""{"v":1,"id":"r-1","station":"st001","epoch":"a1b2","ranges":[[11,20],[31,31]],"requestedAt":1764806400000}""", Encoding.UTF8.GetString(bytes));
        Assert.True(RepairPayload.TryRead(bytes, out RepairRequestMessage? read, out var error), error);
        Assert.Equal(request with { Ranges = read!.Ranges }, read);
        Assert.Equal(request.Ranges, read.Ranges);
    }

    [Fact]
    public void Result_ExactBytes_AndRoundTrip()
    {
        var result = new RepairResultMessage("r-1", "st001", "a1b2", "gw-01", 9, [new SequenceRange(11, 11)], null, 1764806401000);

        var bytes = RepairPayload.Write(result);

        Assert.Equal("""{"v":1,"id":"r-1","station":"st001","epoch":"a1b2","gateway":"gw-01","republished":9,"missing":[[11,11]],"reason":null,"ts":1764806401000}""", Encoding.UTF8.GetString(bytes));
        Assert.True(RepairPayload.TryRead(bytes, out RepairResultMessage? read, out var error), error);
        Assert.Equal(result.Missing, read!.Missing);
        Assert.Equal((9L, "gw-01", (string?)null), (read.Republished, read.Gateway, read.Reason));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"v":2,"id":"r","station":"s","epoch":"e","ranges":[[1,2]]}""")]
    [InlineData("""{"v":1,"station":"s","epoch":"e","ranges":[[1,2]]}""")]
    [InlineData("""{"v":1,"id":"r","station":"s","epoch":"e/../x","ranges":[[1,2]]}""")]
    [InlineData("""{"v":1,"id":"r","station":"s","epoch":"e","ranges":[]}""")]
    [InlineData("""{"v":1,"id":"r","station":"s","epoch":"e","ranges":[[2,1]]}""")]
    [InlineData("""{"v":1,"id":"r","station":"s","epoch":"e","ranges":[[0,1]]}""")]
    [InlineData("""{"v":1,"id":"r","station":"s","epoch":"e","ranges":[[1,2,3]]}""")]
    [InlineData("""{"v":1,"id":"r","station":"s","epoch":"e","ranges":[["1",2]]}""")]
    [InlineData("""{"v":1,"id":"r","station":"s","epoch":"e","ranges":[[1,2]""")]
    public void Request_Malformed_RefusedWithAReason_NeverThrows(string json)
    {
        Assert.False(RepairPayload.TryRead(Encoding.UTF8.GetBytes(json), out RepairRequestMessage? request, out var error));
        Assert.Null(request);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Request_MoreRangesThanAllowed_Refused()
    {
        var ranges = string.Join(',', Enumerable.Range(0, RepairPayload.MaxRanges + 1).Select(i => $"[{(i * 2) + 1},{(i * 2) + 1}]"));
        var json = $$"""{"v":1,"id":"r","station":"s","epoch":"e","ranges":[{{ranges}}],"requestedAt":0}""";

        Assert.False(RepairPayload.TryRead(Encoding.UTF8.GetBytes(json), out RepairRequestMessage? _, out var error));
        Assert.Contains("at most", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("irrigation/gateways/gw-01/repair", TopicKind.RepairRequest, "gw-01")]
    [InlineData("irrigation/gateways/gw-01/repair/result", TopicKind.RepairResult, "gw-01")]
    [InlineData("irrigation/gateways/gw-01/status", TopicKind.GatewayStatus, "gw-01")]
    public void Topics_RepairTopics_Parsed(string topic, TopicKind kind, string id)
    {
        Assert.True(Topics.TryParse("irrigation", topic, out var parsed, out var range));
        Assert.Equal((kind, id), (parsed, topic[range]));
        Assert.Equal("irrigation/gateways/gw-01/repair", Topics.RepairRequest("irrigation", "gw-01"));
        Assert.Equal("irrigation/gateways/+/repair/result", Topics.AllRepairResults("irrigation"));
    }

    [Theory]
    [InlineData("0123456789abcdef", true)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("epoch with space", false)]
    [InlineData("123456789012345678901234567890123", false)]
    public void Epoch_Valid(string epoch, bool valid)
    {
        Assert.Equal(valid, TelemetryEpoch.IsValid(epoch));
        Assert.Equal(valid, TelemetryEpoch.IsValid(Encoding.ASCII.GetBytes(epoch)));
    }
}
