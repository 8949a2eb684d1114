using FsCheck;
using FsCheck.Fluent;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Messages;
using Irrigation.Dlt645.Values;

namespace Irrigation.Dlt645.Tests.TestSupport;

/// <summary>FsCheck generators for addresses, identifiers, messages and frame-like bytes.</summary>
internal static class Dlt645Gen
{
    public static Gen<byte> Byte => Gen.Choose(0, 0xFF).Select(i => (byte)i);

    public static Gen<byte[]> Bytes(int min, int max) => Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Byte, n));

    /// <summary>A meter's own address: 12 decimal digits.</summary>
    public static Gen<Dlt645Address> MeterAddress =>
        Gen.ArrayOf(Gen.Choose(0, 9), 12).Select(digits => Dlt645Address.Parse(string.Concat(digits)));

    /// <summary>Any address in a frame: a meter's, abbreviated with high AAH bytes, the wildcard, or raw bytes.</summary>
    public static Gen<Dlt645Address> AnyAddress => Gen.OneOf(
        MeterAddress,
        from meter in MeterAddress
        from wild in Gen.Choose(1, 6)
        select Dlt645Address.Parse(string.Concat(Enumerable.Repeat("AA", wild)) + meter.ToString()[(2 * wild)..]),
        Bytes(6, 6).Select(b => Dlt645Address.FromWire(b)));

    public static Gen<Dlt645DataIdentifier> Identifier => Gen.OneOf(
        Gen.Elements(Dlt645Quantities.All.Select(q => q.Identifier).ToArray()),
        Bytes(4, 4).Select(b => Dlt645DataIdentifier.Read(b)));

    public static Gen<Dlt645Request> Request => Gen.OneOf(
        from address in AnyAddress
        from identifier in Identifier
        from parameters in Gen.Frequency((3, Gen.Constant(Array.Empty<byte>())), (1, Bytes(1, 6)))
        select (Dlt645Request)new ReadDataRequest(address, identifier) { Parameters = parameters },
        from address in AnyAddress
        from identifier in Identifier
        from sequence in Byte
        select (Dlt645Request)new ReadFollowUpRequest(address, identifier, sequence),
        Gen.Constant((Dlt645Request)new ReadAddressRequest()));

    public static Gen<Dlt645Reply> Reply => Gen.OneOf(
        from address in MeterAddress
        from identifier in Identifier
        from value in Bytes(0, Dlt645Frame.MaxDataLength - 4)
        from more in Gen.Elements(true, false)
        select (Dlt645Reply)new ReadDataReply(address, identifier, value, more),
        from address in MeterAddress
        from identifier in Identifier
        from value in Bytes(0, Dlt645Frame.MaxDataLength - 5)
        from sequence in Byte
        from more in Gen.Elements(true, false)
        select (Dlt645Reply)new ReadFollowUpReply(address, identifier, value, sequence, more),
        MeterAddress.Select(a => (Dlt645Reply)new ReadAddressReply(a)),
        from address in MeterAddress
        from function in Gen.Elements(Dlt645Function.ReadData, Dlt645Function.ReadFollowUp, Dlt645Function.ReadAddress)
        from error in Byte
        select (Dlt645Reply)new AbnormalReply(address, function, (Dlt645ErrorFlags)error));

    /// <summary>Bytes that look like frames often enough to reach the length, CS and 16H checks.</summary>
    public static Gen<byte[]> FrameLikeBytes => Gen.OneOf(
        Bytes(0, 600),
        from preamble in Gen.Choose(0, 5)
        from address in Bytes(6, 6)
        from second in Gen.Frequency((5, Gen.Constant((byte)0x68)), (1, Byte))
        from control in Byte
        from length in Byte
        from rest in Bytes(0, 300)
        select (byte[])[.. Enumerable.Repeat((byte)0xFE, preamble), 0x68, .. address, second, control, length, .. rest],
        from frames in Gen.ListOf(Reply.Select(r => Dlt645FrameFormatter.ToArray(Dlt645MessageFormatter.ToFrame(r))), 3)
        from flip in Gen.Choose(0, 2000)
        from value in Byte
        select Corrupt([.. frames.SelectMany(f => f)], flip, value));

    private static byte[] Corrupt(byte[] bytes, int index, byte value)
    {
        if (bytes.Length > 0)
            bytes[index % bytes.Length] = value;
        return bytes;
    }
}
