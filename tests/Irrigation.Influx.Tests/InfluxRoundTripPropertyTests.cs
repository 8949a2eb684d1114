using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Irrigation.Influx.LineProtocol;
using Irrigation.Influx.Tests.TestSupport;
using Irrigation.Influx.Write;
using Xunit.Abstractions;

namespace Irrigation.Influx.Tests;

/// <summary>
/// Random points — names and values full of escaping-relevant characters and non-ASCII text, floats drawn from the
/// whole bit space, extreme integers — written to a real influxd and read back through bound parameters: equal.
/// </summary>
public sealed class InfluxRoundTripPropertyTests(InfluxdFixture influx, ITestOutputHelper output) : IClassFixture<InfluxdFixture>
{
    private const int Samples = 150;

    private static readonly string[] Pieces =
        ["a", "Z", "0", "9", " ", ",", "=", "\"", "\\", "'", "#", "$", ":", "-", "_", ".", "\t", "\r", "城", "东", "镇", "号", "é", "😀", "ß", "(", "*"];

    private static Gen<string> Text(int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Gen.Elements(Pieces), n)).Select(string.Concat);

    private static Gen<string> Name(LineProtocolElement element) => Text(1, 8).Where(s => LineProtocolText.Problem(s, element) is null);

    private static Gen<double> AnyFiniteDouble => Gen.Frequency(
        (6, from hi in Gen.Choose(int.MinValue, int.MaxValue)
            from lo in Gen.Choose(int.MinValue, int.MaxValue)
            select BitConverter.Int64BitsToDouble(((long)hi << 32) | (uint)lo)),
        (3, from m in Gen.Choose(-1_000_000, 1_000_000) from e in Gen.Choose(-5, 5) select m * Math.Pow(10, e)),
        (1, Gen.Elements(0.0, -0.0, 0.1, 1e21, -1e-7, double.MaxValue, double.MinValue, double.Epsilon)))
        .Where(double.IsFinite);

    private static Gen<long> AnyLong => Gen.Frequency(
        (8, from hi in Gen.Choose(int.MinValue, int.MaxValue) from lo in Gen.Choose(int.MinValue, int.MaxValue) select ((long)hi << 32) | (uint)lo),
        (2, Gen.Elements(0L, -1L, long.MaxValue, long.MinValue)));

    private static Gen<RoundTripSample> Sample =>
        from station in Name(LineProtocolElement.TagValue)
        from tagKey in Name(LineProtocolElement.TagKey)
        from tagValue in Name(LineProtocolElement.TagValue)
        from fieldKey in Name(LineProtocolElement.FieldKey)
        from d in AnyFiniteDouble
        from i in AnyLong
        from b in Gen.Elements(true, false)
        from s in Text(0, 12)
        select new RoundTripSample(station, "k_" + tagKey, tagValue, fieldKey, d, i, b, s);

    [Fact]
    public async Task WriteThenQuery_RandomPoints_ReadBackEqualThroughBoundParameters()
    {
        var db = await influx.Server.CreateDatabaseAsync("prop");
        using var client = new InfluxWriteClient(influx.WriteOptions(db), new TestLogger(output));
        using var query = influx.QueryClient(db);
        var samples = Gen.Sample(Sample, Samples);
        var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - Samples;

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new LineProtocolWriter(buffer))
        {
            for (var n = 0; n < samples.Length; n++)
                Assert.True(samples[n].ToPoint(n, t0 + n).WriteTo(writer));
        }

        var result = await client.WriteAsync(buffer.WrittenMemory, samples.Length, CancellationToken.None);
        Assert.Equal(samples.Length, result.Written);

        for (var n = 0; n < samples.Length; n++)
        {
            var sample = samples[n];
            var found = await query.QueryAsync("SELECT * FROM \"roundtrip\" WHERE \"case\" = $case AND \"station\" = $station",
                new Dictionary<string, object?> { ["case"] = "c" + n, ["station"] = sample.Station });
            var series = Assert.Single(found.Series);
            Assert.Single(series.Values);
            var because = $"sample {n}: {sample.ToPoint(n, t0 + n).ToLineProtocol()}";
            Assert.True(t0 + n == series.Value(0, "time").GetInt64(), because);
            Assert.True(sample.Station == series.Value(0, "station").GetString(), because);
            Assert.True(sample.TagValue == series.Value(0, sample.TagKey).GetString(), because);
            Assert.True(sample.D.Equals(series.Value(0, "d_" + sample.FieldKey).GetDouble()), because + $" float {sample.D:R} came back {series.Value(0, "d_" + sample.FieldKey)}");
            Assert.True(sample.I == series.Value(0, "i_" + sample.FieldKey).GetInt64(), because);
            Assert.True(sample.B == series.Value(0, "b_" + sample.FieldKey).GetBoolean(), because);
            Assert.True(sample.S == series.Value(0, "s_" + sample.FieldKey).GetString(), because);
        }
    }

    [Fact]
    public async Task WriteThenShowMeasurements_RandomMeasurementNames_ReadBackEqual()
    {
        var db = await influx.Server.CreateDatabaseAsync("meas");
        using var client = new InfluxWriteClient(influx.WriteOptions(db));
        using var query = influx.QueryClient(db);
        var names = Gen.Sample(Name(LineProtocolElement.Measurement), 60).Distinct(StringComparer.Ordinal).ToArray();
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new LineProtocolWriter(buffer))
        {
            foreach (var name in names)
                PointData.Create(name).Field("v", 1.0).Timestamp(DateTimeOffset.UtcNow).WriteTo(writer);
        }

        await client.WriteAsync(buffer.WrittenMemory, names.Length, CancellationToken.None);
        var shown = await query.QueryAsync("SHOW MEASUREMENTS");

        Assert.Equal(names.Order(StringComparer.Ordinal), shown.Series.Single().Values.Select(v => v[0].GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Escape_AnyWritableTagValue_UnescapesToItselfByInfluxdRules() =>
        PropertyCheck.ForAll(Name(LineProtocolElement.TagValue), value =>
        {
            var line = PointData.Create("m").Tag("t", value).Field("v", 1.0).ToLineProtocol();
            var escaped = line["m,t=".Length..line.LastIndexOf(" v=1", StringComparison.Ordinal)];
            // influxd 1.x: a delimiter preceded by a backslash is escaped; then "\," "\=" "\ " lose the backslash.
            for (var i = 0; i < escaped.Length; i++)
                Assert.False(escaped[i] is ',' or '=' or ' ' && (i == 0 || escaped[i - 1] != '\\'), $"unescaped delimiter in {escaped}");
            var unescaped = new StringBuilder(escaped).Replace("\\,", ",").Replace("\\=", "=").Replace("\\ ", " ").ToString();
            Assert.Equal(value, unescaped);
        });

    private sealed record RoundTripSample(string Station, string TagKey, string TagValue, string FieldKey, double D, long I, bool B, string S)
    {
        public PointData ToPoint(int n, long timestampMs) =>
            PointData.Create("roundtrip")
                .Tag("case", "c" + n)
                .Tag("station", Station)
                .Tag(TagKey, TagValue)
                .Field("d_" + FieldKey, D)
                .Field("i_" + FieldKey, I)
                .Field("b_" + FieldKey, B)
                .Field("s_" + FieldKey, S)
                .Timestamp(timestampMs);
    }
}
