using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Publishing;

namespace Irrigation.Gateway.Tests;

/// <summary>Sequence numbers recovered from the outbox at start-up (docs/mqtt.md, seq).</summary>
public sealed partial class TelemetryPublisherTests
{
    [Fact]
    public void RecoverSequences_AfterReopen_MaxSeqPerStationIgnoringCommandResults()
    {
        var st001 = new StationPublishState();
        var st002 = new StationPublishState();
        Publisher.Publish(St001, Reading(St001, T0), st001);
        Publisher.Publish(St002, Reading(St002, T0), st002);
        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(1), new() { ["voltage_a"] = 240 }), st001);
        Publisher.Publish(St001, Reading(St001, T0.AddSeconds(2), new() { ["voltage_a"] = 250 }), st001);
        var result = new CommandResultMessage("c-1", "st002", 1, "start", CommandOutcomes.Succeeded, null, "run feedback on", "zhangsan", T0.ToUnixTimeMilliseconds(), "gw-01");
        _outbox.Enqueue(Topics.CommandResult("irrigation", "st002"), CommandResultPayload.Write(result));
        _outbox.Dispose();
        _outbox = OpenOutbox();

        var sequences = TelemetryPublisher.RecoverSequences(_outbox);

        Assert.Equal(new Dictionary<string, long> { ["st001"] = 3, ["st002"] = 1 }, sequences);
    }

    [Fact]
    public void RecoverSequences_EmptyOutbox_Empty()
    {
        Assert.Empty(TelemetryPublisher.RecoverSequences(_outbox));
    }
}
