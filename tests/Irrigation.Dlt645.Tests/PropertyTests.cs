using FsCheck;
using FsCheck.Fluent;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Messages;
using Irrigation.Dlt645.Tests.TestSupport;
using Irrigation.Dlt645.Values;

namespace Irrigation.Dlt645.Tests;

/// <summary>
/// Property-based checks: every message survives encode → frame → bytes → frame → decode, split anywhere; every value
/// survives its format; and no input, however random, makes a reader throw or stall.
/// </summary>
public sealed class PropertyTests
{
    [Fact]
    public void Request_EncodeThenDecode_GivesTheSameRequest() =>
        PropertyCheck.ForAll(
            from request in Dlt645Gen.Request
            from cut in Gen.Choose(0, 1000)
            select (request, cut),
            sample =>
            {
                var bytes = Dlt645FrameFormatter.ToArray(Dlt645MessageFormatter.ToFrame(sample.request));
                var frame = Assert.Single(Frames.ReadAll(Sequences.SplitAt(bytes, sample.cut % (bytes.Length + 1)), out var errors));
                Assert.Empty(errors);
                Assert.True(Dlt645MessageFormatter.TryReadRequest(frame, out var decoded, out var error), error);
                AssertSame(sample.request, decoded!);
            });

    [Fact]
    public void Reply_EncodeThenDecode_GivesTheSameReply() =>
        PropertyCheck.ForAll(
            from reply in Dlt645Gen.Reply
            from preamble in Gen.Choose(0, 4)
            from cut in Gen.Choose(0, 1000)
            select (reply, preamble, cut),
            sample =>
            {
                var bytes = Dlt645FrameFormatter.ToArray(Dlt645MessageFormatter.ToFrame(sample.reply), sample.preamble);
                var frame = Assert.Single(Frames.ReadAll(Sequences.SplitAt(bytes, sample.cut % (bytes.Length + 1)), out var errors));
                Assert.Empty(errors);
                Assert.True(Dlt645MessageFormatter.TryReadReply(frame, out var decoded, out var error), error);
                AssertSame(sample.reply, decoded!);
            });

    [Fact]
    public void Frame_AnyAddressControlAndData_SurvivesTheWire() =>
        PropertyCheck.ForAll(
            from address in Dlt645Gen.AnyAddress
            from control in Dlt645Gen.Byte
            from data in Dlt645Gen.Bytes(0, Dlt645Frame.MaxDataLength)
            select (address, control, data),
            sample =>
            {
                var bytes = Dlt645FrameFormatter.ToArray(new Dlt645Frame(sample.address, new Dlt645ControlCode(sample.control), sample.data));
                var frame = Assert.Single(Frames.ReadAll(bytes, out var errors));
                Assert.Empty(errors);
                Assert.Equal(sample.address, frame.Address);
                Assert.Equal(sample.control, frame.Control.Value);
                Assert.Equal(sample.data, frame.Data.ToArray());
            });

    [Fact]
    public void Value_EncodeThenDecode_GivesTheValueInEveryKnownFormat() =>
        PropertyCheck.ForAll(
            from quantity in Gen.Elements(Dlt645Quantities.All.ToArray())
            from raw in Gen.Choose(0, int.MaxValue)
            from negative in Gen.Elements(true, false)
            select (quantity.Format, raw, negative),
            sample =>
            {
                var format = sample.Format;
                var limit = (long)(format.MaxMagnitude * Pow10(format.FractionDigits)) + 1;
                var value = (sample.raw % limit) / Pow10(format.FractionDigits) * (sample.negative && format.Signed ? -1 : 1);
                Assert.Equal(value, format.Decode(format.Encode(value)));
            });

    [Fact]
    public void TryRead_RandomBytes_NeverThrowsAndAlwaysProgresses() =>
        PropertyCheck.ForAll(
            from bytes in Dlt645Gen.FrameLikeBytes
            from cuts in Gen.ListOf(Gen.Choose(0, 1000), 3)
            select (bytes, cuts),
            sample =>
            {
                var input = Sequences.SplitAt(sample.bytes, sample.cuts.Select(c => Math.Min(c, sample.bytes.Length)));
                foreach (var frame in Frames.ReadAll(input, out _))
                {
                    Dlt645MessageFormatter.TryReadReply(frame, out _, out _);
                    Dlt645MessageFormatter.TryReadRequest(frame, out _, out _);
                }
            },
            maxTest: 1000);

    [Fact]
    public void TryDecode_RandomBytes_NeverThrows() =>
        PropertyCheck.ForAll(
            from quantity in Gen.Elements(Dlt645Quantities.All.ToArray())
            from bytes in Dlt645Gen.Bytes(0, 16)
            select (quantity, bytes),
            sample => sample.quantity.TryDecode(sample.bytes, out _));

    private static decimal Pow10(int n) => Enumerable.Range(0, n).Aggregate(1m, (p, _) => p * 10);

    private static void AssertSame(object expected, object actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        switch (expected, actual)
        {
            case (ReadDataRequest e, ReadDataRequest a):
                Assert.Equal((e.Address, e.Identifier), (a.Address, a.Identifier));
                Assert.Equal(e.Parameters.ToArray(), a.Parameters.ToArray());
                break;
            case (ReadDataReply e, ReadDataReply a):
                Assert.Equal((e.Address, e.Identifier, e.HasFollowUp), (a.Address, a.Identifier, a.HasFollowUp));
                Assert.Equal(e.Value.ToArray(), a.Value.ToArray());
                break;
            case (ReadFollowUpReply e, ReadFollowUpReply a):
                Assert.Equal((e.Address, e.Identifier, e.Sequence, e.HasFollowUp), (a.Address, a.Identifier, a.Sequence, a.HasFollowUp));
                Assert.Equal(e.Value.ToArray(), a.Value.ToArray());
                break;
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }
}
