using System.Globalization;
using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests;

public sealed partial class IngestionServiceTests
{
    /// <summary>
    /// Two server instances in one shared group (<c>Mqtt:SharedGroup</c>) split the telemetry: each stores a real share,
    /// together every message exactly once.
    /// </summary>
    [Fact]
    public async Task Ingest_TwoInstancesInOneSharedGroup_SplitTheStreamAndStoreEveryMessageOnce()
    {
        await using var stack = await IngestionStack.StartAsync("ingest-shared", settings: new Dictionary<string, string> { ["Irrigation__Mqtt__SharedGroup"] = "ingest" });
        var (other, otherUrl) = await stack.StartAnotherServerAsync();
        await using (other)
        {
            Assert.Contains(stack.Server.Lines, l => l.Contains("Ingesting $share/ingest/irrigation/+/telemetry", StringComparison.Ordinal));
            await using var load = stack.StartLoad(stations: 20, rate: 20, seconds: 10);
            var summary = await load.CompleteAsync();
            var counts = await stack.WaitForCountsAsync(summary, CatchUp);

            var differences = IngestionStack.CountDifferences(summary, counts);
            Assert.True(differences.Length == 0, differences + await stack.DiagnosticsAsync());
            var first = (await stack.MetricsAsync())["irrigation_ingest_stored_total"];
            using var http = new HttpClient { BaseAddress = otherUrl };
            var second = StoredTotal(await http.GetStringAsync(new Uri("metrics", UriKind.Relative)));
            Assert.Equal(summary.Published, first + second);
            Assert.InRange(first, summary.Published * 0.2, summary.Published * 0.8);
            _output.WriteLine($"shared group: {summary.Published} messages, stored {first} by one instance and {second} by the other");
        }
    }

    private static double StoredTotal(string metrics) => PrometheusText.Parse(metrics)["irrigation_ingest_stored_total"];
}
