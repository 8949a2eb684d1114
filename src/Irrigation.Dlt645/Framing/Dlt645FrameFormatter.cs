using System.Buffers;

namespace Irrigation.Dlt645.Framing;

/// <summary>
/// Bytes to <see cref="Dlt645Frame"/> and back (DL/T 645-2007 §7.1, §7.3):
/// <code>
/// [FE FE FE FE]  wake-up preamble, not part of the frame (§7.3.1)
/// 00     68H     start
/// 01-06  A0..A5  address, A0 (lowest BCD byte) first
/// 07     68H     start
/// 08     C       control code
/// 09     L       data length, 0..255
/// 10..   DATA    L bytes, each sent +33H
/// 10+L   CS      sum of bytes 00..9+L, modulo 256
/// 11+L   16H     end
/// </code>
/// The reader follows the BedrockFramework contract: it never throws, returns Incomplete until a frame is whole,
/// and trusts L only as far as the bytes bear it out: a frame whose 16H is not where L says is resynchronised on
/// the next 68H rather than skipped by L.
/// </summary>
public static class Dlt645FrameFormatter
{
    public const byte StartByte = 0x68;
    public const byte EndByte = 0x16;
    public const byte PreambleByte = 0xFE;
    public const byte DataOffset = 0x33;

    /// <summary>Four FEH before every frame a master sends (§7.3.1).</summary>
    public const int DefaultPreambleLength = 4;

    /// <summary>68, A0..A5, 68, C, L.</summary>
    public const int HeaderLength = 10;

    /// <summary>Header, CS and 16H around an empty data field.</summary>
    public const int MinFrameLength = HeaderLength + 2;

    public const int MaxFrameLength = MinFrameLength + Dlt645Frame.MaxDataLength;

    public static int GetLength(Dlt645Frame frame, int preambleLength = DefaultPreambleLength)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return preambleLength + MinFrameLength + frame.Data.Length;
    }

    /// <summary>Writes <paramref name="frame"/> after <paramref name="preambleLength"/> FEH bytes; returns the length.</summary>
    public static int Write(Dlt645Frame frame, Span<byte> destination, int preambleLength = DefaultPreambleLength)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentOutOfRangeException.ThrowIfNegative(preambleLength);
        var length = GetLength(frame, preambleLength);
        if (destination.Length < length)
            throw new ArgumentException($"A frame of {length} bytes does not fit in {destination.Length}.", nameof(destination));

        destination[..preambleLength].Fill(PreambleByte);
        var f = destination[preambleLength..];
        var data = frame.Data.Span;
        f[0] = StartByte;                                  // 00     68H
        frame.Address.WriteTo(f[1..7]);                    // 01-06  A0..A5
        f[7] = StartByte;                                  // 07     68H
        f[8] = frame.Control.Value;                        // 08     C
        f[9] = (byte)data.Length;                          // 09     L
        for (var i = 0; i < data.Length; i++)
            f[HeaderLength + i] = (byte)(data[i] + DataOffset); // 10..  DATA + 33H
        f[HeaderLength + data.Length] = Checksum(f[..(HeaderLength + data.Length)]); // CS
        f[HeaderLength + data.Length + 1] = EndByte;       //        16H
        return length;
    }

    public static byte[] ToArray(Dlt645Frame frame, int preambleLength = DefaultPreambleLength)
    {
        var bytes = new byte[GetLength(frame, preambleLength)];
        Write(frame, bytes, preambleLength);
        return bytes;
    }

    /// <summary>Sum of the bytes modulo 256 (§7.1.6).</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (var b in bytes)
            sum += b;
        return sum;
    }

    /// <summary>Tries to read one frame, or to skip a preamble or garbage, from the start of <paramref name="input"/>.</summary>
    public static Dlt645ReadStatus TryRead(in ReadOnlySequence<byte> input, out Dlt645Frame? frame, out SequencePosition consumed, out Dlt645FrameError error)
    {
        frame = null;
        error = Dlt645FrameError.None;
        consumed = input.Start;
        if (input.IsEmpty)
            return Dlt645ReadStatus.Incomplete;

        Span<byte> buffer = stackalloc byte[MaxFrameLength];
        var available = (int)Math.Min(input.Length, MaxFrameLength);
        input.Slice(0, available).CopyTo(buffer);
        var bytes = buffer[..available];

        if (bytes[0] == PreambleByte)
        {
            var run = 1;
            while (run < bytes.Length && bytes[run] == PreambleByte)
                run++;
            consumed = input.GetPosition(run);
            return Dlt645ReadStatus.Ignored;
        }

        if (bytes[0] != StartByte)
            return Malformed(input, bytes, Dlt645FrameErrorKind.Garbage, $"{Resync(bytes)} byte(s) before a frame start, first 0x{bytes[0]:X2}", out consumed, out error);

        if (bytes.Length < 8)
            return Dlt645ReadStatus.Incomplete;
        if (bytes[7] != StartByte)
            return Malformed(input, bytes, Dlt645FrameErrorKind.BadSecondStart, $"0x{bytes[7]:X2} where the second 68H belongs", out consumed, out error);
        if (bytes.Length < HeaderLength)
            return Dlt645ReadStatus.Incomplete;

        var dataLength = bytes[9];
        var total = MinFrameLength + dataLength;
        if (bytes.Length < total)
            return Dlt645ReadStatus.Incomplete;
        if (bytes[total - 1] != EndByte)
            return Malformed(input, bytes, Dlt645FrameErrorKind.MissingEndByte, $"0x{bytes[total - 1]:X2} where L={dataLength} puts the 16H", out consumed, out error);

        var checksum = Checksum(bytes[..(HeaderLength + dataLength)]);
        if (bytes[total - 2] != checksum)
        {
            // The 16H is where L says, so the frame's extent is believable: drop exactly this frame.
            error = new(Dlt645FrameErrorKind.ChecksumMismatch, $"CS 0x{bytes[total - 2]:X2}, computed 0x{checksum:X2}");
            consumed = input.GetPosition(total);
            return Dlt645ReadStatus.Malformed;
        }

        var data = new byte[dataLength];
        for (var i = 0; i < dataLength; i++)
            data[i] = (byte)(bytes[HeaderLength + i] - DataOffset);
        frame = new Dlt645Frame(Dlt645Address.FromWire(bytes[1..7]), new Dlt645ControlCode(bytes[8]), data);
        consumed = input.GetPosition(total);
        return Dlt645ReadStatus.Complete;
    }

    private static Dlt645ReadStatus Malformed(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> bytes, Dlt645FrameErrorKind kind, string detail, out SequencePosition consumed, out Dlt645FrameError error)
    {
        error = new(kind, detail);
        consumed = input.GetPosition(Resync(bytes));
        return Dlt645ReadStatus.Malformed;
    }

    /// <summary>How many bytes to drop: up to the next byte that can begin a frame (68H or FEH), at least one.</summary>
    private static int Resync(ReadOnlySpan<byte> bytes)
    {
        var next = bytes[1..].IndexOfAny(StartByte, PreambleByte);
        return next < 0 ? bytes.Length : next + 1;
    }
}
