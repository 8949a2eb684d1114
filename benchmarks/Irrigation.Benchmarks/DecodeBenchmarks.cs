using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Irrigation.Influx.LineProtocol;
using Irrigation.Server.Ingestion;
using Irrigation.Server.State;

namespace Irrigation.Benchmarks;

/// <summary>
/// The ingest hot path per message: <see cref="TelemetryDecoder.Decode"/> from the MQTT payload to line protocol in a
/// reused buffer (reset per operation, as a pooled batch is), including the latest-value cache update. The goal is
/// 0 bytes allocated per message once every station and quantity has been seen.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks : IDisposable
{
    private const string Station = "st001";

    private readonly byte[] _topicStation = Encoding.UTF8.GetBytes(Station);
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private byte[] _load15 = [];
    private byte[] _snapshot36 = [];
    private TelemetryDecoder _decoder = null!;
    private LineProtocolWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _load15 = TelemetrySamples.LoadMessage(Station, 1843, ts, values: 15, new Random(1));
        _snapshot36 = TelemetrySamples.PumpStationSnapshot(Station, 1843, ts);
        var stations = new StationRegistry(acceptUnknown: true);
        _decoder = new TelemetryDecoder(stations, new LatestValueCache(stations));
        _writer = new LineProtocolWriter(_buffer);
        // First sight of the station and its quantities registers them (allocates once), as on a server's first message.
        Check(Decode15Values(), 1, 18);
        Check(DecodePumpStationSnapshot(), 3, 39);
    }

    /// <summary>Irrigation.Benchmarks mqtt-load's message: 15 values → one point of 18 fields.</summary>
    [Benchmark(Baseline = true)]
    public DecodeResult Decode15Values()
    {
        _buffer.ResetWrittenCount();
        return _decoder.Decode(_topicStation, _load15, _writer);
    }

    /// <summary>A 2-pump station snapshot: 36 values → a station point and two pump points, 39 fields.</summary>
    [Benchmark]
    public DecodeResult DecodePumpStationSnapshot()
    {
        _buffer.ResetWrittenCount();
        return _decoder.Decode(_topicStation, _snapshot36, _writer);
    }

    public void Dispose()
    {
        _writer?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static void Check(DecodeResult result, int points, int fields)
    {
        if (!result.Stored || result.Points != points || result.Fields != fields)
            throw new InvalidOperationException($"Sample message decoded to {result}, expected {points} point(s) and {fields} field(s).");
    }
}
