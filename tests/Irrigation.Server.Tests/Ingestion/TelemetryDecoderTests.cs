using System.Buffers;
using System.Text;
using Irrigation.Influx.LineProtocol;
using Irrigation.Server.Ingestion;
using Irrigation.Server.State;

namespace Irrigation.Server.Tests;

/// <summary>
/// The decoder alone: gateway telemetry (docs/mqtt.md) in, exact line protocol out, every drop reason, values
/// dropped one by one, and the latest-value cache. No broker, no database.
/// </summary>
public sealed partial class TelemetryDecoderTests : IDisposable
{
    /// <summary>The example of docs/mqtt.md, on one line.</summary>
    private const string Sample = """
        {"v":1,"station":"st001","site":"城东镇","gateway":"gw-01","seq":1843,"ts":1763771400123,"kind":"change","replayed":false,"quality":"good","devices":{"meter":"good","controller":"good"},"values":{"voltage_a":{"v":229.8,"u":"V"},"active_power":{"v":12410.5,"u":"W"},"pump1.running":{"v":1,"u":""},"pump1.motor_current":{"v":21.4,"u":"A"}}}
        """;

    private readonly StationRegistry _registry = new(acceptUnknown: true);
    private readonly LatestValueCache _cache;
    private readonly TelemetryDecoder _decoder;
    private readonly ArrayBufferWriter<byte> _output = new();
    private readonly LineProtocolWriter _writer;

    public TelemetryDecoderTests()
    {
        _cache = new LatestValueCache(_registry);
        _decoder = new TelemetryDecoder(_registry, _cache);
        _writer = new LineProtocolWriter(_output);
    }

    public void Dispose() => _writer.Dispose();

    private string Lines => Encoding.UTF8.GetString(_output.WrittenSpan);

    private DecodeResult Decode(string json, string topicStation = "st001") =>
        _decoder.Decode(Encoding.UTF8.GetBytes(topicStation), Encoding.UTF8.GetBytes(json), _writer);

    /// <summary>The sample message with its "values" object replaced.</summary>
    private static string WithValues(string values, long ts = 1763771400123, string station = "st001") =>
        $$"""{"v":1,"station":"{{station}}","site":"s","gateway":"gw-01","seq":7,"ts":{{ts}},"quality":"good","values":{{values}}}""";

    [Fact]
    public void Decode_DocumentationSample_WritesExactLineProtocol()
    {
        var result = Decode(Sample);

        var expected =
            "station,gateway=gw-01,site=城东镇,station=st001 voltage_a=229.8,active_power=12410.5,seq=1843i,quality=0i,replayed=false 1763771400123\n" +
            "pump,gateway=gw-01,pump=1,site=城东镇,station=st001 running=1,motor_current=21.4 1763771400123\n";
        Assert.Equal(expected, Lines);
        // The site goes out as raw UTF-8 (城 = E5 9F 8E), not escaped: compare the bytes themselves.
        Assert.Equal(Encoding.UTF8.GetBytes(expected), _output.WrittenSpan.ToArray());
        Assert.Equal(new DecodeResult(Stored: true, Reason: default, BadValues: 0, Points: 2, Fields: 7, TimestampMs: 1763771400123)
        {
            Station = _registry.Find("st001"),
            Sequence = 1843,
            Epoch = "",
        }, result);
        Assert.False(_writer.InPoint);
    }

    [Fact]
    public void Decode_Epoch_ReturnedWithTheSequence_SameTextReusedPerStation_NotStored()
    {
        var json = Sample.Replace("\"seq\":1843,", "\"seq\":1843,\"epoch\":\"9f2c4e1a7b3d5c60\",", StringComparison.Ordinal);

        var first = Decode(json);
        var second = Decode(json);

        Assert.Equal(("9f2c4e1a7b3d5c60", 1843L), (first.Epoch, first.Sequence));
        Assert.Same(first.Epoch, second.Epoch);
        Assert.DoesNotContain("epoch", Lines, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"epoch\":\"a/b\",")]
    [InlineData("\"epoch\":42,")]
    [InlineData("\"epoch\":{\"x\":[1]},")]
    [InlineData("\"epoch\":\"\",")]
    public void Decode_EpochNotPlainShortText_Ignored_ValuesStillStored(string epoch)
    {
        var result = Decode(Sample.Replace("\"seq\":1843,", "\"seq\":1843," + epoch, StringComparison.Ordinal));

        Assert.True(result.Stored);
        Assert.Equal(("", 2), (result.Epoch, result.Points));
    }

    [Fact]
    public void Decode_PumpsInterleaved_OnePointPerPumpInNumberOrderFieldsInMessageOrder()
    {
        var json = WithValues("""
            {"pump10.running":{"v":0,"u":""},"voltage_a":{"v":230,"u":"V"},"pump2.running":{"v":1,"u":""},"pump1.motor_current":{"v":21.4,"u":"A"},
             "frequency":{"v":50.01,"u":"Hz"},"pump2.motor_current":{"v":19,"u":"A"},"pump1.running":{"v":1,"u":""},"active_power":{"v":-0.5,"u":"W"}}
            """, ts: 1000);

        var result = Decode(json);

        Assert.Equal(
            "station,gateway=gw-01,site=s,station=st001 voltage_a=230,frequency=50.01,active_power=-0.5,seq=7i,quality=0i,replayed=false 1000\n" +
            "pump,gateway=gw-01,pump=1,site=s,station=st001 motor_current=21.4,running=1 1000\n" +
            "pump,gateway=gw-01,pump=2,site=s,station=st001 running=1,motor_current=19 1000\n" +
            "pump,gateway=gw-01,pump=10,site=s,station=st001 running=0 1000\n",
            Lines);
        Assert.Equal(4, result.Points);
        Assert.Equal(8 + 3, result.Fields);
    }

    [Fact]
    public void Decode_HeaderFieldsInAnyOrderWithQualityPartialAndReplayed_SameTagsAndMetadata()
    {
        var json = """{"values":{"flow":{"v":1.5,"u":"m3/h"}},"quality":"partial","replayed":true,"ts":5,"seq":0,"gateway":"g","station":"st001","v":1}""";

        var result = Decode(json);

        Assert.True(result.Stored);
        Assert.Equal("station,gateway=g,station=st001 flow=1.5,seq=0i,quality=1i,replayed=true 5\n", Lines);
    }

    [Fact]
    public void Decode_QualityBadWithEmptyValues_StoresOnlyTheMetadata()
    {
        var result = Decode("""{"v":1,"station":"st001","gateway":"gw-01","seq":3,"ts":9,"quality":"bad","values":{}}""");

        Assert.True(result.Stored);
        Assert.Equal("station,gateway=gw-01,station=st001 seq=3i,quality=2i,replayed=false 9\n", Lines);
    }

    [Fact]
    public void Decode_EscapedSite_WritesTheDecodedText()
    {
        var result = Decode("""{"v":1,"station":"st001","site":"\u57CE\u4E1C\u9547 1\u53F7","gateway":"gw-01","seq":1,"ts":2,"values":{"a":{"v":1}}}""");

        Assert.True(result.Stored);
        Assert.Equal("station,gateway=gw-01,site=城东镇\\ 1号,station=st001 a=1,seq=1i,quality=0i,replayed=false 2\n", Lines);
    }

    [Fact]
    public void Decode_SiteWithLineFeed_FallsBackToTheRegistrySite()
    {
        _registry.Add(new StationEntry("st001", "Station 1", "城东镇"));

        var result = Decode("""{"v":1,"station":"st001","site":"a\nb","seq":1,"ts":2,"values":{"a":{"v":1}}}""");

        Assert.True(result.Stored);
        Assert.Equal("station,site=城东镇,station=st001 a=1,seq=1i,quality=0i,replayed=false 2\n", Lines);
    }

    [Fact]
    public void Decode_SiteLongerThanTheSiteBuffer_StoresWithTheRegistrySite()
    {
        // 300 × 3 UTF-8 bytes: more than the decoder's site buffer. This used to throw out of Decode (and so out of
        // the ingest loop, stopping the server) instead of being handled like any other unusable site.
        _registry.Add(new StationEntry("st001", "Station 1", "城东镇"));
        var site = new string('城', 300);

        var result = Decode(WithValues("""{"a":{"v":1}}""").Replace("\"site\":\"s\"", "\"site\":\"" + site + "\"", StringComparison.Ordinal));

        Assert.True(result.Stored);
        Assert.Equal("station,gateway=gw-01,site=城东镇,station=st001 a=1,seq=7i,quality=0i,replayed=false 1763771400123\n", Lines);
    }

    public static TheoryData<string, string, DropReason> Drops => new()
    {
        { "not JSON", "st001", DropReason.InvalidJson },
        { """{"v":1,"station":"st001","ts":1""", "st001", DropReason.InvalidJson },
        { "", "st001", DropReason.InvalidJson },
        { """[{"v":1}]""", "st001", DropReason.InvalidJson },
        { "42", "st001", DropReason.InvalidJson },
        { "\"st001\"", "st001", DropReason.InvalidJson },
        { WithValues("""{"a":{"v":1}}""", station: "st002"), "st001", DropReason.BadStation },
        { """{"v":1,"seq":1,"ts":2,"values":{}}""", "st001", DropReason.BadStation },
        { """{"v":1,"station":"","seq":1,"ts":2,"values":{}}""", "st001", DropReason.BadStation },
        { """{"v":1,"station":"st\u003001","seq":1,"ts":2,"values":{}}""", "st001", DropReason.BadStation },
        { """{"v":1,"station":"st001","seq":1,"values":{"a":{"v":1}}}""", "st001", DropReason.MissingTimestamp },
        { """{"v":1,"station":"st001","seq":1,"ts":"1763771400123","values":{"a":{"v":1}}}""", "st001", DropReason.MissingTimestamp },
        { """{"v":1,"station":"st001","seq":1,"ts":1.5e12,"values":{"a":{"v":1}}}""", "st001", DropReason.MissingTimestamp },
        { """{"v":1,"station":"st001","seq":1,"ts":0,"values":{"a":{"v":1}}}""", "st001", DropReason.MissingTimestamp },
        { """{"v":1,"station":"st001","seq":-1,"ts":2,"values":{"a":{"v":1}}}""", "st001", DropReason.WrongType },
        { """{"v":1,"station":"st001","seq":"7","ts":2,"values":{"a":{"v":1}}}""", "st001", DropReason.WrongType },
        { """{"v":1,"station":"st001","ts":2,"values":{"a":{"v":1}}}""", "st001", DropReason.WrongType },
        { """{"v":1,"station":"st001","seq":1,"ts":2,"values":[{"a":1}]}""", "st001", DropReason.WrongType },
        { """{"v":1,"station":"st001","seq":1,"ts":2,"values":"a=1"}""", "st001", DropReason.WrongType },
        { """{"v":1,"station":"st001","seq":1,"ts":2}""", "st001", DropReason.WrongType },
        { """{"v":1,"station":"st001","seq":1,"ts":2,"quality":"excellent","values":{"a":{"v":1}}}""", "st001", DropReason.WrongType },
        { """{"v":1,"station":"st001","seq":1,"ts":2,"quality":0,"values":{"a":{"v":1}}}""", "st001", DropReason.WrongType },
        { """{"v":1,"station":"st001","seq":1,"ts":2,"replayed":"no","values":{"a":{"v":1}}}""", "st001", DropReason.WrongType },
        { """{"v":"1","station":"st001","seq":1,"ts":2,"values":{"a":{"v":1}}}""", "st001", DropReason.WrongType },
        { """{"v":2,"station":"st001","seq":1,"ts":2,"values":{"a":{"v":1}}}""", "st001", DropReason.UnsupportedVersion },
    };

    [Theory]
    [MemberData(nameof(Drops))]
    public void Decode_BadMessage_DropsItWithTheReasonAndWritesNothing(string json, string topicStation, DropReason reason)
    {
        var result = Decode(json, topicStation);

        Assert.False(result.Stored);
        Assert.Equal(reason, result.Reason);
        Assert.Equal(0, _output.WrittenCount);
        Assert.False(_writer.InPoint);
    }

    [Fact]
    public void Decode_UnknownStationWithAStationList_DropsAsUnknownStation()
    {
        var registry = new StationRegistry(acceptUnknown: false);
        registry.Add(new StationEntry("st001", "Station 1", "城东镇"));
        var decoder = new TelemetryDecoder(registry, new LatestValueCache(registry));

        var known = decoder.Decode("st001"u8, Encoding.UTF8.GetBytes(WithValues("""{"a":{"v":1}}""")), _writer);
        var unknown = decoder.Decode("st999"u8, Encoding.UTF8.GetBytes(WithValues("""{"a":{"v":1}}""", station: "st999")), _writer);

        Assert.True(known.Stored);
        Assert.Equal(new DecodeResult(false, DropReason.UnknownStation, 0, 0, 0, 0), unknown);
        Assert.Single(registry.All);
        Assert.Equal(1, _writer.PointsWritten);
    }

    [Fact]
    public void Decode_UnknownStationWithoutAStationList_RegistersIt()
    {
        var result = Decode(WithValues("""{"a":{"v":1}}""", station: "new-station_2"), "new-station_2");

        Assert.True(result.Stored);
        Assert.NotNull(_registry.Find("new-station_2"));
    }

    [Fact]
    public void Decode_PayloadOverTheLimit_DropsAsTooLarge()
    {
        var padding = new string(' ', TelemetryDecoder.MaxPayloadBytes);
        var result = Decode(WithValues("""{"a":{"v":1}}""") + padding);

        Assert.Equal(DropReason.TooLarge, result.Reason);
        Assert.Equal(0, _output.WrittenCount);
    }

    public static TheoryData<string, string> BadValues => new()
    {
        { "string value", """ "bad":{"v":"12.5","u":"V"} """ },
        { "too large for a double", """ "bad":{"v":1e999,"u":"V"} """ },
        { "negative too large", """ "bad":{"v":-1e400} """ },
        { "missing v", """ "bad":{"u":"V"} """ },
        { "null v", """ "bad":{"v":null,"u":"V"} """ },
        { "boolean v", """ "bad":{"v":true} """ },
        { "array v", """ "bad":{"v":[1,2],"u":"V"} """ },
        { "object v", """ "bad":{"v":{"x":1},"u":"V"} """ },
        { "not an object", """ "bad":12.5 """ },
        { "array instead of object", """ "bad":[{"v":1}] """ },
        { "escaped key", """ "b\u0061d":{"v":1,"u":"V"} """ },
        { "key with an escaped line feed", """ "bad\nkey":{"v":1,"u":"V"} """ },
        { "empty key", """ "":{"v":1} """ },
        { "key ending in a backslash", """ "bad\\":{"v":1} """ },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Decode_OneBadValue_DropsOnlyThatValue(string what, string bad)
    {
        var result = Decode(WithValues($$$"""{"voltage_a":{"v":229.8,"u":"V"},{{{bad}}},"pump1.running":{"v":1,"u":""},"active_power":{"v":12410.5,"u":"W"}}"""));

        Assert.True(result.Stored, what);
        Assert.Equal(1, result.BadValues);
        Assert.Equal(
            "station,gateway=gw-01,site=s,station=st001 voltage_a=229.8,active_power=12410.5,seq=7i,quality=0i,replayed=false 1763771400123\n" +
            "pump,gateway=gw-01,pump=1,site=s,station=st001 running=1 1763771400123\n",
            Lines);
        Assert.DoesNotContain("bad", _cache.Snapshot(_registry.Find("st001")!).Values.Keys);
    }

    [Fact]
    public void Decode_EveryValueBad_StoresTheMetadataAndCountsEach()
    {
        var result = Decode(WithValues("""{"a":{"v":"x"},"b":{"v":1e999},"c":{}}"""));

        Assert.True(result.Stored);
        Assert.Equal(3, result.BadValues);
        Assert.Equal("station,gateway=gw-01,site=s,station=st001 seq=7i,quality=0i,replayed=false 1763771400123\n", Lines);
    }

    [Fact]
    public void Decode_ValidMessages_UpdateTheLatestValueCache()
    {
        Decode(Sample);

        var snapshot = _cache.Snapshot(_registry.Find("st001")!);
        Assert.Equal(1763771400123, snapshot.LastTelemetryMs);
        Assert.Equal(0, snapshot.LastQuality);
        Assert.Equal((229.8, 1763771400123), snapshot.Values["voltage_a"]);
        Assert.Equal((21.4, 1763771400123), snapshot.Values["pump1.motor_current"]);
        Assert.Equal(4, snapshot.Values.Count);
    }

    [Fact]
    public void Decode_OlderTimestampAfterNewer_NeverOverwritesTheNewerValue()
    {
        Decode(WithValues("""{"voltage_a":{"v":230}}""", ts: 2000));
        Decode(WithValues("""{"voltage_a":{"v":111},"flow":{"v":5}}""", ts: 1000)); // replayed late
        var afterOld = _cache.Snapshot(_registry.Find("st001")!);
        Decode(WithValues("""{"voltage_a":{"v":231}}""", ts: 3000));
        var afterNew = _cache.Snapshot(_registry.Find("st001")!);

        Assert.Equal((230, 2000), afterOld.Values["voltage_a"]);
        Assert.Equal((5, 1000), afterOld.Values["flow"]); // the first value of a quantity is taken whatever its age
        Assert.Equal(2000, afterOld.LastTelemetryMs);
        Assert.Equal((231, 3000), afterNew.Values["voltage_a"]);
        Assert.Equal(3000, afterNew.LastTelemetryMs);
    }

    [Fact]
    public void Decode_DroppedMessage_LeavesTheCacheAlone()
    {
        Decode(WithValues("""{"voltage_a":{"v":230}}""", ts: 2000));
        Decode("""{"v":1,"station":"st001","seq":-1,"ts":3000,"values":{"voltage_a":{"v":1}}}""");

        var snapshot = _cache.Snapshot(_registry.Find("st001")!);
        Assert.Equal((230, 2000), snapshot.Values["voltage_a"]);
        Assert.Equal(2000, snapshot.LastTelemetryMs);
    }
}
