using System.Buffers;
using System.Buffers.Binary;

namespace Irrigation.Sl651.Framing;

public enum Sl651ReadStatus
{
    /// <summary>Not enough bytes yet; nothing consumed.</summary>
    Incomplete,

    /// <summary>A whole frame; <c>consumed</c> is just past it.</summary>
    Complete,

    /// <summary>Bytes that can never become a valid frame; <c>consumed</c> says what to discard.</summary>
    Malformed,
}

/// <summary>
/// Bytes to <see cref="Sl651Frame"/> and back, HEX/BCD framing (SL 651-2014 §6.5, tables 20-23):
/// <code>
/// 00-01  7E 7E         frame start
/// 02     centre (up)   | 02-06 station (down)     up: centre address 1 B then station 5 B;
/// 03-07  station (up)  | 07    centre (down)      down: station first, then centre
/// 08-09  password      2 B HEX, high byte first
/// 10     function code appendix B
/// 11-12  flag + length high nibble 0 = up, 8 = down; low 12 bits = bytes between start and end character
/// 13     STX | SYN
/// [14-16 packets]      SYN only: 12-bit count, 12-bit number (table 22); counted in the length
/// ..     body
/// ..     end           ETX ETB (up), ENQ ACK NAK EOT ESC (down)
/// ..     CRC           CRC-16 of bytes 00..end, high byte first (<see cref="Sl651Crc"/>)
/// </code>
/// The reader never throws and trusts the length only as far as the bytes bear it out: a frame without an end character
/// where the length says is resynchronised on the next 7EH rather than skipped by the length.
/// </summary>
public static class Sl651FrameFormatter
{
    /// <summary>7E7E, addresses, password, function, flag/length, start character.</summary>
    public const int HeaderLength = 14;

    public const int PacketFieldLength = 3;

    /// <summary>Header, end character and CRC around an empty body.</summary>
    public const int MinFrameLength = HeaderLength + 3;

    public const int MaxFrameLength = MinFrameLength + Sl651Frame.MaxBodyLength;

    public static int GetLength(Sl651Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return MinFrameLength + (frame.Packet is null ? 0 : PacketFieldLength) + frame.Body.Length;
    }

    /// <summary>Writes <paramref name="frame"/>; returns its length.</summary>
    public static int Write(Sl651Frame frame, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var length = GetLength(frame);
        var counted = length - MinFrameLength;
        if (counted > Sl651Frame.MaxBodyLength)
            throw new ArgumentException($"A body of {counted} bytes does not fit the 12-bit length (max {Sl651Frame.MaxBodyLength}).", nameof(frame));
        if (destination.Length < length)
            throw new ArgumentException($"A frame of {length} bytes does not fit in {destination.Length}.", nameof(destination));

        destination[0] = Sl651ControlChar.Start;                                   // 00-01  7E 7E
        destination[1] = Sl651ControlChar.Start;
        if (frame.Direction == Sl651Direction.Up)
        {
            destination[2] = frame.CentreAddress;                                  // 02     centre
            frame.Station.WriteTo(destination[3..8]);                              // 03-07  station
        }
        else
        {
            frame.Station.WriteTo(destination[2..7]);                              // 02-06  station
            destination[7] = frame.CentreAddress;                                  // 07     centre
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[8..10], frame.Password); // 08-09  password
        destination[10] = frame.Function;                                          // 10     function
        BinaryPrimitives.WriteUInt16BigEndian(destination[11..13], (ushort)(((int)frame.Direction << 12) | counted)); // 11-12
        destination[13] = frame.StartChar;                                         // 13     STX/SYN
        var offset = HeaderLength;
        if (frame.Packet is { } packet)
        {
            var packed = (packet.Count << 12) | packet.Number;                     // 14-16  packets
            destination[offset++] = (byte)(packed >> 16);
            destination[offset++] = (byte)(packed >> 8);
            destination[offset++] = (byte)packed;
        }

        frame.Body.Span.CopyTo(destination[offset..]);
        offset += frame.Body.Length;
        destination[offset++] = frame.End;
        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], Sl651Crc.Compute(destination[..offset]));
        return length;
    }

    public static byte[] ToArray(Sl651Frame frame)
    {
        var bytes = new byte[GetLength(frame)];
        Write(frame, bytes);
        return bytes;
    }

    /// <summary>Tries to read one frame, or to skip garbage, from the start of <paramref name="input"/>.</summary>
    public static Sl651ReadStatus TryRead(in ReadOnlySequence<byte> input, out Sl651Frame? frame, out SequencePosition consumed, out Sl651FrameError error)
    {
        frame = null;
        error = Sl651FrameError.None;
        consumed = input.Start;
        if (input.IsEmpty)
            return Sl651ReadStatus.Incomplete;

        var available = (int)Math.Min(input.Length, MaxFrameLength);
        var rented = ArrayPool<byte>.Shared.Rent(available);
        try
        {
            input.Slice(0, available).CopyTo(rented);
            return TryRead(input, rented.AsSpan(0, available), out frame, out consumed, out error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Reads one frame from a whole buffer (tests, the datagram case).</summary>
    public static Sl651ReadStatus TryRead(ReadOnlySpan<byte> bytes, out Sl651Frame? frame, out int consumed, out Sl651FrameError error)
    {
        var sequence = new ReadOnlySequence<byte>(bytes.ToArray());
        var status = TryRead(sequence, out frame, out var position, out error);
        consumed = (int)sequence.Slice(0, position).Length;
        return status;
    }

    private static Sl651ReadStatus TryRead(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> bytes, out Sl651Frame? frame, out SequencePosition consumed, out Sl651FrameError error)
    {
        frame = null;
        error = Sl651FrameError.None;
        consumed = input.Start;

        if (bytes[0] != Sl651ControlChar.Start)
            return Malformed(input, bytes, Sl651FrameErrorKind.Garbage, $"{Resync(bytes)} byte(s) before a frame start, first 0x{bytes[0]:X2}", out consumed, out error);
        if (bytes.Length < 2)
            return Sl651ReadStatus.Incomplete;
        if (bytes[1] != Sl651ControlChar.Start)
            return Malformed(input, bytes, Sl651FrameErrorKind.Garbage, $"a lone 7EH followed by 0x{bytes[1]:X2}", out consumed, out error);
        if (bytes.Length < HeaderLength)
            return Sl651ReadStatus.Incomplete;

        var flagAndLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[11..13]);
        var flag = flagAndLength >> 12;
        if (flag is not (0 or 8))
            return Malformed(input, bytes, Sl651FrameErrorKind.BadDirection, $"up/down nibble {flag:X}", out consumed, out error);
        var start = bytes[13];
        if (start is not (Sl651ControlChar.Stx or Sl651ControlChar.Syn))
            return Malformed(input, bytes, Sl651FrameErrorKind.BadStartChar, $"0x{start:X2} where STX/SYN belongs", out consumed, out error);

        var counted = flagAndLength & 0xFFF;
        var total = MinFrameLength + counted;
        if (bytes.Length < total)
            return Sl651ReadStatus.Incomplete;
        var end = bytes[HeaderLength + counted];
        if (!Sl651ControlChar.IsEnd(end))
            return Malformed(input, bytes, Sl651FrameErrorKind.BadEndChar, $"0x{end:X2} where length {counted} puts the end character", out consumed, out error);

        var crc = Sl651Crc.Compute(bytes[..(total - 2)]);
        var sent = BinaryPrimitives.ReadUInt16BigEndian(bytes[(total - 2)..total]);
        if (crc != sent)
        {
            // The end character is where the length says, so the frame's extent is believable: drop exactly this frame.
            error = new(Sl651FrameErrorKind.CrcMismatch, $"CRC {sent:X4}, computed {crc:X4}");
            consumed = input.GetPosition(total);
            return Sl651ReadStatus.Malformed;
        }

        var direction = flag == 0 ? Sl651Direction.Up : Sl651Direction.Down;
        var centre = direction == Sl651Direction.Up ? bytes[2] : bytes[7];
        var station = Sl651StationAddress.FromWire(direction == Sl651Direction.Up ? bytes[3..8] : bytes[2..7]);
        Sl651Packet? packet = null;
        var bodyStart = HeaderLength;
        if (start == Sl651ControlChar.Syn)
        {
            if (counted < PacketFieldLength)
            {
                error = new(Sl651FrameErrorKind.BadStartChar, $"SYN frame of {counted} bytes has no packet field");
                consumed = input.GetPosition(total);
                return Sl651ReadStatus.Malformed;
            }

            var packed = (bytes[14] << 16) | (bytes[15] << 8) | bytes[16];
            packet = new Sl651Packet(packed >> 12, packed & 0xFFF);
            bodyStart += PacketFieldLength;
        }

        var body = bytes[bodyStart..(HeaderLength + counted)].ToArray();
        frame = new Sl651Frame(direction, centre, station, BinaryPrimitives.ReadUInt16BigEndian(bytes[8..10]), bytes[10], body, end, packet);
        consumed = input.GetPosition(total);
        return Sl651ReadStatus.Complete;
    }

    private static Sl651ReadStatus Malformed(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> bytes, Sl651FrameErrorKind kind, string detail, out SequencePosition consumed, out Sl651FrameError error)
    {
        error = new(kind, detail);
        consumed = input.GetPosition(Resync(bytes));
        return Sl651ReadStatus.Malformed;
    }

    /// <summary>How many bytes to drop: up to the next 7EH after the first byte, at least one.</summary>
    private static int Resync(ReadOnlySpan<byte> bytes)
    {
        var next = bytes[1..].IndexOf(Sl651ControlChar.Start);
        return next < 0 ? bytes.Length : next + 1;
    }
}
