using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests;

public sealed partial class IngestionServiceTests
{
    /// <summary>
    /// The broker restarts while the server is away, and telemetry is published before the server is back (as a
    /// gateway replays its outage queue the moment the broker returns): the server's persistent session and its
    /// subscription come back from mosquitto's persistence file, so every message is queued and arrives. With a
    /// shared subscription mosquitto 2.0.11 restores no subscription and all of it was lost (docs/server.md).
    /// </summary>
    [Fact]
    public async Task Ingest_BrokerRestartedWhileTheServerIsAway_EverythingPublishedMeanwhileArrives()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-broker-restart");
        Assert.Equal(0, await stack.StopServerAsync());
        await stack.Broker.StopAsync();
        await stack.Broker.RestartAsync();

        await using var load = stack.StartLoad(stations: 10, rate: 10, seconds: 5);
        var summary = await load.CompleteAsync();
        await stack.StartServerAsync();
        var counts = await stack.WaitForCountsAsync(summary, CatchUp);

        var differences = IngestionStack.CountDifferences(summary, counts);
        Assert.True(differences.Length == 0, differences + await stack.DiagnosticsAsync());
        Assert.Equal(500, summary.Published);
        _output.WriteLine($"broker restart: {summary.Published} messages published while the server was away, {counts.Values.Sum()} stored after it came back");
    }
}
