using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Contracts;
using Irrigation.Gateway.Publishing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Gateway.Tests;

/// <summary>
/// The publish history and repair answers (docs/mqtt.md "Gap repair"): what was published is kept after the outbox
/// forgets it, published again marked replayed, and what the history lacks is named, never invented.
/// </summary>
public sealed partial class TelemetryPublisherTests
{
    private RepairResponder Responder() => new(_options, _stations, History, _outbox, new GatewayCounters(), TimeProvider.System, NullLogger<RepairResponder>.Instance);

    private static byte[] Request(string station, string epoch, params SequenceRange[] ranges) =>
        RepairPayload.Write(new RepairRequestMessage("r-1", station, epoch, ranges, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    /// <summary>Publishes <paramref name="count"/> messages of st001 (each a change) and empties the outbox as the broker's PUBACKs would.</summary>
    private List<string> PublishAndAcknowledge(int count)
    {
        var state = new StationPublishState();
        for (var i = 0; i < count; i++)
            Publisher.Publish(St001, Reading(St001, T0.AddSeconds(i), new() { ["voltage_a"] = 200 + i }), state);
        var sent = Drain();
        _outbox.Commit(sent[^1].Position);
        return sent.Select(m => Encoding.UTF8.GetString(m.Payload.Span)).ToList();
    }

    [Fact]
    public void Repair_RangeInTheHistory_SameMessagesAgainMarkedReplayed_ThenTheResult()
    {
        var sent = PublishAndAcknowledge(10);

        var result = Responder().Answer(Request("st001", History.Epoch, new SequenceRange(3, 5)));

        var again = Drain();
        Assert.Equal(4, again.Count);
        Assert.All(again.Take(3), m => Assert.Equal("irrigation/st001/telemetry", m.Topic));
        for (var i = 0; i < 3; i++)
        {
            var original = sent[2 + i].Replace("\"replayed\":false", "\"replayed\":true", StringComparison.Ordinal);
            Assert.Equal(original, Encoding.UTF8.GetString(again[i].Payload.Span)); // byte for byte, but for the flag
        }

        Assert.Equal("irrigation/gateways/gw-01/repair/result", again[3].Topic);
        Assert.Equal((3L, 0, (string?)null), (result!.Republished, result.Missing.Count, result.Reason));
        Assert.True(RepairPayload.TryRead(again[3].Payload.Span, out RepairResultMessage? published, out _));
        Assert.Equal(("r-1", 3L), (published!.Id, published.Republished));
    }

    [Fact]
    public void Repair_PartlyBeyondTheHistory_SendsWhatItHas_NamesTheRestMissing()
    {
        PublishAndAcknowledge(5);

        var result = Responder().Answer(Request("st001", History.Epoch, new SequenceRange(4, 9), new SequenceRange(20, 22)));

        Assert.Equal(2, result!.Republished);
        Assert.Equal([new SequenceRange(6, 9), new SequenceRange(20, 22)], result.Missing);
        Assert.Equal([4L, 5L], Drain().SkipLast(1).Select(m => JsonNode.Parse(m.Payload.Span)!["seq"]!.GetValue<long>()));
    }

    [Fact]
    public void Repair_AnotherEpoch_EverythingMissing_NothingSent()
    {
        PublishAndAcknowledge(5);

        var result = Responder().Answer(Request("st001", "0000000000000000", new SequenceRange(1, 5)));

        Assert.Equal((0L, RepairReasons.UnknownEpoch), (result!.Republished, result.Reason));
        Assert.Equal([new SequenceRange(1, 5)], result.Missing);
        Assert.Single(Drain()); // only the result
    }

    [Fact]
    public void Repair_AnotherGatewaysStation_RefusedNothingMissing()
    {
        var result = Responder().Answer(Request("st999", History.Epoch, new SequenceRange(1, 5)));

        Assert.Equal((0L, RepairReasons.UnknownStation, 0), (result!.Republished, result.Reason, result.Missing.Count));
    }

    [Fact]
    public void Repair_MoreThanTheLimit_SendsUpToIt_RestNeitherSentNorMissing()
    {
        _options.History.MaxRepairMessages = 3;
        PublishAndAcknowledge(10);

        var result = Responder().Answer(Request("st001", History.Epoch, new SequenceRange(1, 10)));

        Assert.Equal((3L, 0), (result!.Republished, result.Missing.Count));
    }

    [Fact]
    public void Repair_RequestOlderThanFifteenMinutes_IgnoredNothingQueued()
    {
        PublishAndAcknowledge(5);
        var old = DateTimeOffset.UtcNow - RepairResponder.StaleAfter - TimeSpan.FromMinutes(1);

        var result = Responder().Answer(RepairPayload.Write(new RepairRequestMessage("r-old", "st001", History.Epoch, [new SequenceRange(1, 5)], old.ToUnixTimeMilliseconds())));

        Assert.Null(result);
        Assert.Empty(Drain());
    }

    [Fact]
    public void Repair_MalformedRequest_IgnoredNothingQueued()
    {
        Assert.Null(Responder().Answer("{\"v\":1,\"id\":"u8));
        Assert.Empty(Drain());
    }

    [Fact]
    public void History_SurvivesAReopen_NewestSequenceRecovered_SameEpoch()
    {
        PublishAndAcknowledge(7);
        var epoch = History.Epoch;
        History.Dispose();

        using var reopened = PublishHistory.Open(_options, NullLogger.Instance, TimeProvider.System);

        Assert.Equal(epoch, reopened.Epoch);
        Assert.Equal(7, reopened.NewestSequences()["st001"]);
    }
}
