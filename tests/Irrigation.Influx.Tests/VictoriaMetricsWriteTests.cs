using System.Text.Json;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;
using Xunit.Abstractions;

namespace Irrigation.Influx.Tests;

/// <summary>
/// The write client against a real VictoriaMetrics 1.79 (Debian <c>victoria-metrics</c>) on its three line protocol
/// endpoints. VictoriaMetrics stores each field as the metric <c>{measurement}_{field}</c>.
/// </summary>
public sealed class VictoriaMetricsWriteTests(VictoriaMetricsFixture vm, ITestOutputHelper output) : IClassFixture<VictoriaMetricsFixture>
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    private InfluxWriteClient Client(InfluxWriteApi api, bool gzip, string path = "", Action<InfluxWriteOptions>? configure = null)
    {
        var options = new InfluxWriteOptions
        {
            Url = new Uri(vm.Server.Url, path),
            Api = api,
            Database = api == InfluxWriteApi.V1 ? "irrigation" : null,
            Bucket = api == InfluxWriteApi.V2 ? "irrigation" : null,
            Org = api == InfluxWriteApi.V2 ? "farm" : null,
            Gzip = gzip,
        };
        configure?.Invoke(options);
        return new InfluxWriteClient(options, new TestLogger(output));
    }

    /// <summary>
    /// The one series of <paramref name="metric"/> once it holds <paramref name="samples"/> samples: VictoriaMetrics
    /// answers 204 before a write is searchable, and even /internal/force_flush can miss rows still being added.
    /// </summary>
    private async Task<JsonElement> SingleSeriesAsync(string metric, int samples = 1)
    {
        IReadOnlyList<JsonElement> series = [];
        await Poll.UntilAsync(async () =>
        {
            series = await vm.Server.ExportAsync($"{{__name__=\"{metric}\"}}");
            return series.Count > 0 && series[0].GetProperty("values").GetArrayLength() >= samples;
        }, $"{metric} is exported with {samples} sample(s)");
        return Assert.Single(series);
    }

    [Theory]
    [InlineData(InfluxWriteApi.V1, true, "")]
    [InlineData(InfluxWriteApi.V1, false, "")]
    [InlineData(InfluxWriteApi.V2, true, "")]
    [InlineData(InfluxWriteApi.V2, false, "")]
    [InlineData(InfluxWriteApi.V1, true, "influx/")]
    [InlineData(InfluxWriteApi.V1, false, "influx/")]
    public async Task WriteAsync_EachEndpointWithAndWithoutGzip_StoresEveryValue(InfluxWriteApi api, bool gzip, string path)
    {
        var measurement = Unique("pump");
        using var client = Client(api, gzip, path);
        var t = Now;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new LineProtocolWriter(buffer))
        {
            for (var i = 0; i < 50; i++)
            {
                writer.BeginPoint(measurement);
                writer.Tag("station", "城东镇 1号");
                writer.Field("flow", i + 0.25);
                writer.Timestamp(t + i);
                writer.EndPoint();
            }
        }

        var result = await client.WriteAsync(buffer.WrittenMemory, 50, CancellationToken.None);

        Assert.Equal(50, result.Written);
        var series = await SingleSeriesAsync(measurement + "_flow", 50);
        Assert.Equal("城东镇 1号", series.GetProperty("metric").GetProperty("station").GetString());
        Assert.Equal(api == InfluxWriteApi.V1, series.GetProperty("metric").TryGetProperty("db", out _));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i + 0.25), series.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => t + i), series.GetProperty("timestamps").EnumerateArray().Select(v => v.GetInt64()));
    }

    [Fact]
    public async Task WriteAsync_BatchWithOneMalformedLine_VictoriaMetricsKeepsTheGoodOnesAndReportsNothing()
    {
        var measurement = Unique("bad");
        using var client = Client(InfluxWriteApi.V1, gzip: true);
        var t = Now;

        var result = await client.WriteAsync(Lines.Utf8($"{measurement},s=a v=1 {t}", $"{measurement},s=b v= {t + 1}", $"{measurement},s=c v=3 {t + 2}"), 3, CancellationToken.None);

        // 204: VictoriaMetrics skips the line and only logs "cannot unmarshal InfluxDB line ...".
        Assert.Equal(0, result.Dropped);
        Assert.Equal(1, result.Requests);
        IReadOnlyList<JsonElement> series = [];
        await Poll.UntilAsync(async () => (series = await vm.Server.ExportAsync($"{{__name__=\"{measurement}_v\"}}")).Count == 2, "both good points are exported");
        Assert.Equal(["a", "c"], series.Select(s => s.GetProperty("metric").GetProperty("s").GetString()).Order());
        await Poll.UntilAsync(() => Task.FromResult(vm.Server.Lines.Any(l => l.Contains("cannot unmarshal InfluxDB line", StringComparison.Ordinal) && l.Contains($"{measurement},s=b", StringComparison.Ordinal))), "VictoriaMetrics logged the skipped line");
    }

    [Fact]
    public async Task WriteAsync_EscapedNamesAndValues_VictoriaMetricsReadsThemBack()
    {
        var measurement = Unique("esc") + " m,x";
        using var client = Client(InfluxWriteApi.V2, gzip: true);
        var point = PointData.Create(measurement).Tag("tag key,=", "v a,l=ue").Tag("path", "C:\\temp").Field("f k,=", 1.5).Timestamp(Now);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new LineProtocolWriter(buffer))
            point.WriteTo(writer);

        await client.WriteAsync(buffer.WrittenMemory, 1, CancellationToken.None);

        var series = await SingleSeriesAsync(measurement + "_f k,=");
        Assert.Equal("v a,l=ue", series.GetProperty("metric").GetProperty("tag key,=").GetString());
        Assert.Equal("C:\\temp", series.GetProperty("metric").GetProperty("path").GetString());
    }

    [Theory]
    [InlineData("token")]
    [InlineData("basic")]
    public async Task WriteAsync_CredentialsHeaders_AcceptedWithoutAuthConfigured(string kind)
    {
        var measurement = Unique("auth");
        using var client = Client(InfluxWriteApi.V2, gzip: true, configure: o =>
        {
            if (kind == "token")
            {
                o.Token = "irrigation-token";
            }
            else
            {
                o.Username = "writer";
                o.Password = "secret";
            }
        });

        var result = await client.WriteAsync(Lines.Utf8($"{measurement} v=1 {Now}"), 1, CancellationToken.None);

        Assert.Equal(1, result.Written);
        await SingleSeriesAsync(measurement + "_v");
    }
}
