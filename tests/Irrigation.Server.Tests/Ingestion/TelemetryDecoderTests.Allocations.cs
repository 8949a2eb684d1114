using System.Buffers;
using System.Text;
using Irrigation.Influx.LineProtocol;
using Irrigation.Server.Ingestion;
using Irrigation.Server.State;

namespace Irrigation.Server.Tests;

// The ingest hot path's memory contract (benchmarks/Irrigation.Benchmarks measures it with BenchmarkDotNet): once a
// station and its quantities have been seen, decoding a message into a reused buffer allocates nothing.
public sealed partial class TelemetryDecoderTests
{
    [Fact]
    public void Decode_SteadyState_AllocatesNothingPerMessage()
    {
        var registry = new StationRegistry(acceptUnknown: true);
        var decoder = new TelemetryDecoder(registry, new LatestValueCache(registry));
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        using var writer = new LineProtocolWriter(output);
        var station = "st001"u8.ToArray();
        var payload = Encoding.UTF8.GetBytes(Sample);
        DecodeMany(100);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var stored = DecodeMany(10_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(10_000, stored);
        Assert.True(allocated == 0, $"{allocated} bytes allocated for 10,000 messages");

        int DecodeMany(int count)
        {
            var n = 0;
            for (var i = 0; i < count; i++)
            {
                output.ResetWrittenCount();
                if (decoder.Decode(station, payload, writer).Stored)
                    n++;
            }

            return n;
        }
    }
}
