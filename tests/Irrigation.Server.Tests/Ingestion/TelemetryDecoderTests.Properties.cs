using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Irrigation.Influx.LineProtocol;
using Irrigation.Server.Ingestion;
using Irrigation.Server.State;
using Irrigation.Server.Tests.TestSupport;

namespace Irrigation.Server.Tests;

// Property checks: whatever arrives on a telemetry topic, the decoder answers with a result — it never throws (an
// exception would leave the ingest loop) — and what it writes is whole lines of line protocol.
public sealed partial class TelemetryDecoderTests
{
    private static readonly byte[] JsonBytes = "{}[]\":,\\ 0123456789.-+eEtrufalsn\n\u00e5"u8.ToArray();

    private static readonly string[] Keys =
    [
        "voltage_a", "active_power", "pump1.running", "pump2.motor_current", "pump16.x", "pump0.x", "pump123.x", "pump1.",
        "pump.x", "pumpx.y", "", "a b", "a,b", "a=b", "a\\b", "a\\", "\tkey", "#key", "\"q\"", "流量", "a\nb", "time", "v", "u",
    ];

    private static readonly char[] TextChars = "abcXYZ019 ,=\"\\\n\t\r#-_.城东镇号\u00e9\u0001".ToCharArray();

    private static Gen<string> Text(int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Elements(TextChars), n)).Select(c => new string(c));

    /// <summary>Any JSON value, as a writer action.</summary>
    private static Gen<Action<Utf8JsonWriter>> AnyValue(int depth) => Gen.OneOf(
        Gen.Choose(-1000, 1000).Select<int, Action<Utf8JsonWriter>>(i => w => w.WriteNumberValue(i)),
        Gen.Elements(0.5, -0.0, 1e300, double.Epsilon, 123456789.123).Select<double, Action<Utf8JsonWriter>>(d => w => w.WriteNumberValue(d)),
        Gen.Elements(long.MaxValue, long.MinValue, 0L).Select<long, Action<Utf8JsonWriter>>(l => w => w.WriteNumberValue(l)),
        Text(8).Select<string, Action<Utf8JsonWriter>>(s => w => w.WriteStringValue(s)),
        Gen.Elements(true, false).Select<bool, Action<Utf8JsonWriter>>(b => w => w.WriteBooleanValue(b)),
        Gen.Constant<Action<Utf8JsonWriter>>(w => w.WriteNullValue()),
        depth <= 0
            ? Gen.Constant<Action<Utf8JsonWriter>>(w => w.WriteRawValue("{}"))
            : Gen.ArrayOf(AnyValue(depth - 1), 2).Select<Action<Utf8JsonWriter>[], Action<Utf8JsonWriter>>(items => w =>
            {
                w.WriteStartArray();
                foreach (var item in items)
                    item(w);
                w.WriteEndArray();
            }),
        depth <= 0
            ? Gen.Constant<Action<Utf8JsonWriter>>(w => w.WriteRawValue("[]"))
            : Gen.ArrayOf(AnyValue(depth - 1), 2).Select<Action<Utf8JsonWriter>[], Action<Utf8JsonWriter>>(items => w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("v");
                items[0](w);
                w.WritePropertyName("u");
                items[1](w);
                w.WriteEndObject();
            }));

    /// <summary>A value entry: mostly well-formed {"v":number,"u":"..."}, sometimes anything.</summary>
    private static Gen<Action<Utf8JsonWriter>> ValueEntry => Gen.OneOf(
        Gen.Choose(-100_000, 100_000).Select<int, Action<Utf8JsonWriter>>(i => w =>
        {
            w.WriteStartObject();
            w.WriteNumber("v", i / 10.0);
            w.WriteString("u", "V");
            w.WriteEndObject();
        }),
        AnyValue(2));

    /// <summary>Telemetry-shaped messages whose header fields and values each may be anything.</summary>
    private static Gen<byte[]> Structured =>
        from relaxed in Gen.Elements(true, false)
        from station in Gen.OneOf(Gen.Constant("st001"), Text(6))
        from site in Gen.OneOf(Text(10), Gen.Choose(0, 400).Select(n => new string('城', n)))
        from gateway in Gen.OneOf(Text(10), Gen.Choose(100, 200).Select(n => new string('g', n)))
        from seq in Gen.OneOf(AnyValue(0), Gen.Choose(0, 1000).Select<int, Action<Utf8JsonWriter>>(i => w => w.WriteNumberValue(i)))
        from ts in Gen.OneOf(AnyValue(0), Gen.Choose(1, int.MaxValue).Select<int, Action<Utf8JsonWriter>>(i => w => w.WriteNumberValue(i * 1000L)))
        from quality in Gen.Elements("good", "partial", "bad", "?")
        from count in Gen.Choose(0, 12)
        from keys in Gen.ArrayOf(Gen.OneOf(Gen.Elements(Keys), Text(6)), count)
        from values in Gen.ArrayOf(ValueEntry, count)
        from extra in AnyValue(2)
        select Json(relaxed, w =>
        {
            w.WriteNumber("v", 1);
            w.WriteString("station", station);
            w.WriteString("site", site);
            w.WriteString("gateway", gateway);
            w.WritePropertyName("seq");
            seq(w);
            w.WritePropertyName("ts");
            ts(w);
            w.WriteString("quality", quality);
            w.WritePropertyName("devices");
            extra(w);
            w.WriteStartObject("values");
            for (var i = 0; i < count; i++)
            {
                w.WritePropertyName(keys[i]);
                values[i](w);
            }

            w.WriteEndObject();
        });

    private static byte[] Json(bool relaxed, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = relaxed ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping : JavaScriptEncoder.Default }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Edits of a valid message: a byte replaced, removed, inserted, a slice repeated, or the tail cut off.</summary>
    private static Gen<byte[]> Mutated =>
        from edits in Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(
            from kind in Gen.Choose(0, 4)
            from position in Gen.Choose(0, 100_000)
            from length in Gen.Choose(1, 40)
            from value in Gen.OneOf(Gen.Elements(JsonBytes), Gen.Choose(0, 255).Select(b => (byte)b))
            select (kind, position, length, value), n))
        select Mutate(Encoding.UTF8.GetBytes(Sample), edits);

    private static byte[] Mutate(byte[] bytes, (int Kind, int Position, int Length, byte Value)[] edits)
    {
        var list = new List<byte>(bytes);
        foreach (var (kind, position, length, value) in edits)
        {
            if (list.Count == 0)
                break;
            var at = position % list.Count;
            var n = Math.Min(length, list.Count - at);
            switch (kind)
            {
                case 0: list[at] = value; break;
                case 1: list.RemoveRange(at, n); break;
                case 2: list.Insert(at, value); break;
                case 3: list.InsertRange(at, list.GetRange(at, n)); break;
                default: list.RemoveRange(at, list.Count - at); break;
            }
        }

        return [.. list];
    }

    /// <summary>Decodes with a fresh writer and checks what any outcome must look like.</summary>
    private static void DecodeAndCheck(byte[] payload, string topicStation, bool acceptUnknown)
    {
        var registry = new StationRegistry(acceptUnknown);
        registry.Add(new StationEntry("st001", "Station 1", "城东镇"));
        var decoder = new TelemetryDecoder(registry, new LatestValueCache(registry));
        var output = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(output);

        var result = decoder.Decode(Encoding.UTF8.GetBytes(topicStation), payload, writer);

        Assert.False(writer.InPoint);
        if (!result.Stored)
        {
            Assert.Equal(0, output.WrittenCount);
            return;
        }

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        var lines = text.Split('\n');
        Assert.Equal("", lines[^1]);
        Assert.Equal(result.Points, lines.Length - 1);
        Assert.StartsWith("station,", lines[0], StringComparison.Ordinal);
        Assert.All(lines[1..^1], l => Assert.StartsWith("pump,", l, StringComparison.Ordinal));
        Assert.All(lines[..^1], l => Assert.Contains($"station={topicStation} ", l, StringComparison.Ordinal));
        Assert.All(lines[..^1], l => Assert.EndsWith(" " + result.TimestampMs.ToString(System.Globalization.CultureInfo.InvariantCulture), l, StringComparison.Ordinal));
    }

    [Fact]
    public void Decode_RandomBytes_NeverThrows() =>
        PropertyCheck.ForAll(
            from prefix in Gen.Elements("", "{", "{\"v\":1,", "{\"v\":1,\"station\":\"st001\",\"seq\":1,\"ts\":5,\"values\":")
            from length in Gen.Choose(0, 200)
            from bytes in Gen.ArrayOf(Gen.OneOf(Gen.Elements(JsonBytes), Gen.Choose(0, 255).Select(b => (byte)b)), length)
            from acceptUnknown in Gen.Elements(true, false)
            select (payload: Encoding.UTF8.GetBytes(prefix).Concat(bytes).ToArray(), acceptUnknown),
            sample => DecodeAndCheck(sample.payload, "st001", sample.acceptUnknown),
            maxTest: 2000);

    [Fact]
    public void Decode_MutatedValidMessage_NeverThrows() =>
        PropertyCheck.ForAll(
            from payload in Mutated
            from acceptUnknown in Gen.Elements(true, false)
            select (payload, acceptUnknown),
            sample => DecodeAndCheck(sample.payload, "st001", sample.acceptUnknown),
            maxTest: 3000);

    [Fact]
    public void Decode_TelemetryShapedMessageWithAnyFieldValues_NeverThrows() =>
        PropertyCheck.ForAll(
            from payload in Structured
            from topicStation in Gen.Elements("st001", "st002")
            from acceptUnknown in Gen.Elements(true, false)
            select (payload, topicStation, acceptUnknown),
            sample => DecodeAndCheck(sample.payload, sample.topicStation, sample.acceptUnknown),
            maxTest: 2000);

    [Fact]
    public void Decode_WellFormedMessageWithRandomValues_StoresEveryFiniteValue() =>
        PropertyCheck.ForAll(
            Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Choose(-1_000_000, 1_000_000), n)),
            numbers =>
            {
                var registry = new StationRegistry(acceptUnknown: true);
                var decoder = new TelemetryDecoder(registry, new LatestValueCache(registry));
                var output = new ArrayBufferWriter<byte>();
                using var writer = new LineProtocolWriter(output);
                var payload = Json(relaxed: false, w =>
                {
                    w.WriteNumber("v", 1);
                    w.WriteString("station", "st001");
                    w.WriteNumber("seq", 1);
                    w.WriteNumber("ts", 42);
                    w.WriteStartObject("values");
                    for (var i = 0; i < numbers.Length; i++)
                    {
                        w.WriteStartObject(i % 3 == 0 ? $"pump{(i % 4) + 1}.q{i}" : $"q{i}");
                        w.WriteNumber("v", numbers[i] / 1000.0);
                        w.WriteEndObject();
                    }

                    w.WriteEndObject();
                });

                var result = decoder.Decode("st001"u8, payload, writer);

                Assert.True(result.Stored);
                Assert.Equal(0, result.BadValues);
                Assert.Equal(numbers.Length + 3, result.Fields);
                var text = Encoding.UTF8.GetString(output.WrittenSpan);
                for (var i = 0; i < numbers.Length; i++)
                {
                    var field = $"q{i}={(numbers[i] / 1000.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";
                    Assert.True(text.Contains(" " + field, StringComparison.Ordinal) || text.Contains("," + field, StringComparison.Ordinal), field);
                }
            },
            maxTest: 300);
}
