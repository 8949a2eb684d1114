using System.Buffers;
using FsCheck.Fluent;
using Irrigation.Mqtt.Formatter;
using Irrigation.Mqtt.Packets;
using Irrigation.Mqtt.Tests.TestSupport;

namespace Irrigation.Mqtt.Tests;

/// <summary>Property checks: every packet round-trips through any segmentation, and no input makes a reader throw.</summary>
public sealed class MqttPacketFormatterPropertyTests
{
    private const int Max = 1024 * 1024;

    [Fact]
    public void WriteThenTryRead_AnyPacket_GivesTheSameBytesBack() =>
        PropertyCheck.ForAll(MqttGen.Any, packet =>
        {
            var bytes = MqttPacketFormatter.ToArray(packet);
            Assert.Equal(MqttReadStatus.Complete, MqttPacketFormatter.TryRead(new ReadOnlySequence<byte>(bytes), Max, out var read, out var consumed, out var error));
            Assert.True(error is null, error);
            Assert.Equal(bytes.Length, new ReadOnlySequence<byte>(bytes).Slice(0, consumed).Length);
            Assert.Equal(packet.Type, read!.Type);
            Assert.Equal(Hex.Format(bytes), Hex.Format(MqttPacketFormatter.ToArray(read)));
        });

    [Fact]
    public void TryRead_PacketsSplitAtRandomPoints_ReadsThemAllInOrder() =>
        PropertyCheck.ForAll(
            from packets in Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(MqttGen.Any, n))
            from cuts in Gen.ArrayOf(Gen.Choose(0, 10_000), 3)
            select (packets, cuts),
            sample =>
            {
                var bytes = sample.packets.SelectMany(MqttPacketFormatter.ToArray).ToArray();
                var cuts = sample.cuts.Select(c => c % (bytes.Length + 1)).Order().Distinct().ToArray();
                var parts = new List<byte[]>();
                var start = 0;
                foreach (var cut in cuts)
                {
                    parts.Add(bytes[start..cut]);
                    start = cut;
                }

                parts.Add(bytes[start..]);
                var input = Sequences.Of([.. parts]);
                foreach (var expected in sample.packets)
                {
                    Assert.Equal(MqttReadStatus.Complete, MqttPacketFormatter.TryRead(input, Max, out var read, out var consumed, out var error));
                    Assert.True(error is null, error);
                    Assert.Equal(Hex.Format(MqttPacketFormatter.ToArray(expected)), Hex.Format(MqttPacketFormatter.ToArray(read!)));
                    input = input.Slice(consumed);
                }

                Assert.True(input.IsEmpty);
            },
            maxTest: 200);

    [Fact]
    public void TryRead_RandomBytes_NeverThrowsAndAlwaysMakesProgressOrStops() =>
        PropertyCheck.ForAll(
            from bytes in MqttGen.Bytes(64)
            from perByte in Gen.Elements(true, false)
            from limit in Gen.Choose(2, 300)
            select (bytes, perByte, limit),
            sample =>
            {
                var input = sample.perByte ? Sequences.OneBytePerSegment(sample.bytes) : new ReadOnlySequence<byte>(sample.bytes);
                for (var guard = 0; guard <= sample.bytes.Length; guard++)
                {
                    var status = MqttPacketFormatter.TryRead(input, sample.limit, out var packet, out var consumed, out var error);
                    if (status == MqttReadStatus.Incomplete)
                        return;
                    if (status == MqttReadStatus.Malformed)
                    {
                        Assert.False(string.IsNullOrEmpty(error));
                        Assert.True(input.Slice(consumed).IsEmpty);
                        return;
                    }

                    Assert.NotNull(packet);
                    var before = input.Length;
                    input = input.Slice(consumed);
                    Assert.True(input.Length < before);
                }

                Assert.Fail("TryRead returned Complete more often than there are bytes.");
            },
            maxTest: 2000);

    [Fact]
    public void TryRead_MutatedValidPacket_NeverThrows() =>
        PropertyCheck.ForAll(
            from packet in MqttGen.Any
            from position in Gen.Choose(0, 10_000)
            from value in Gen.Choose(0, 255)
            select (packet, position, value),
            sample =>
            {
                var bytes = MqttPacketFormatter.ToArray(sample.packet);
                bytes[sample.position % bytes.Length] = (byte)sample.value;
                var status = MqttPacketFormatter.TryRead(new ReadOnlySequence<byte>(bytes), Max, out var packet, out _, out var error);
                Assert.True(status != MqttReadStatus.Malformed || error is not null);
                Assert.True(status != MqttReadStatus.Complete || packet is not null);
            },
            maxTest: 1000);
}
