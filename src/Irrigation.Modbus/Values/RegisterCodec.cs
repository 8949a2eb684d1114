using System.Buffers.Binary;

namespace Irrigation.Modbus.Values;

/// <summary>
/// Turns registers into numbers and back, with explicit type and <see cref="WordOrder"/>. Scale and offset
/// belong to the caller (engineering value = raw × scale + offset), so this layer stays exact.
/// </summary>
public static class RegisterCodec
{
    /// <summary>Decodes the raw number in <paramref name="registers"/> (at least <see cref="RegisterTypeExtensions.RegisterCount"/> long).</summary>
    public static double Decode(ReadOnlySpan<ushort> registers, RegisterType type, WordOrder order = WordOrder.ABCD, int bit = 0)
    {
        if (registers.Length < type.RegisterCount())
            throw new ArgumentException($"{type} needs {type.RegisterCount()} registers, got {registers.Length}.", nameof(registers));
        switch (type)
        {
            case RegisterType.UInt16:
                return registers[0];
            case RegisterType.Int16:
                return (short)registers[0];
            case RegisterType.Bit:
                return (registers[0] >> bit) & 1;
        }

        Span<byte> bytes = stackalloc byte[8];
        var width = type.RegisterCount() * 2;
        ToBigEndian(registers[..type.RegisterCount()], order, bytes[..width]);
        return type switch
        {
            RegisterType.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            RegisterType.Int32 => BinaryPrimitives.ReadInt32BigEndian(bytes),
            RegisterType.Float32 => BinaryPrimitives.ReadSingleBigEndian(bytes),
            RegisterType.UInt64 => BinaryPrimitives.ReadUInt64BigEndian(bytes),
            RegisterType.Int64 => BinaryPrimitives.ReadInt64BigEndian(bytes),
            RegisterType.Float64 => BinaryPrimitives.ReadDoubleBigEndian(bytes),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }

    /// <summary>
    /// Encodes <paramref name="raw"/> into registers. Integers are rounded and clamped to the type's range;
    /// <see cref="RegisterType.Bit"/> sets or clears one bit of <paramref name="destination"/>[0].
    /// </summary>
    public static void Encode(double raw, RegisterType type, WordOrder order, Span<ushort> destination, int bit = 0)
    {
        switch (type)
        {
            case RegisterType.UInt16:
                destination[0] = (ushort)Clamp(raw, ushort.MinValue, ushort.MaxValue);
                return;
            case RegisterType.Int16:
                destination[0] = (ushort)(short)Clamp(raw, short.MinValue, short.MaxValue);
                return;
            case RegisterType.Bit:
                destination[0] = raw != 0 ? (ushort)(destination[0] | (1 << bit)) : (ushort)(destination[0] & ~(1 << bit));
                return;
        }

        Span<byte> bytes = stackalloc byte[8];
        switch (type)
        {
            case RegisterType.UInt32:
                BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Clamp(raw, uint.MinValue, uint.MaxValue));
                break;
            case RegisterType.Int32:
                BinaryPrimitives.WriteInt32BigEndian(bytes, (int)Clamp(raw, int.MinValue, int.MaxValue));
                break;
            case RegisterType.Float32:
                BinaryPrimitives.WriteSingleBigEndian(bytes, (float)raw);
                break;
            case RegisterType.UInt64:
                BinaryPrimitives.WriteUInt64BigEndian(bytes, raw <= 0 ? 0UL : raw >= ulong.MaxValue ? ulong.MaxValue : (ulong)Math.Round(raw));
                break;
            case RegisterType.Int64:
                BinaryPrimitives.WriteInt64BigEndian(bytes, raw <= long.MinValue ? long.MinValue : raw >= long.MaxValue ? long.MaxValue : (long)Math.Round(raw));
                break;
            case RegisterType.Float64:
                BinaryPrimitives.WriteDoubleBigEndian(bytes, raw);
                break;
        }

        FromBigEndian(bytes[..(type.RegisterCount() * 2)], order, destination[..type.RegisterCount()]);
    }

    /// <summary>Rearranges registers in <paramref name="order"/> into the value's big-endian bytes (A first).</summary>
    public static void ToBigEndian(ReadOnlySpan<ushort> registers, WordOrder order, Span<byte> bytes)
    {
        var n = registers.Length;
        for (var i = 0; i < n; i++)
        {
            // Register i holds word w of the value (w = 0 most significant) ...
            var word = order is WordOrder.CDAB or WordOrder.DCBA ? n - 1 - i : i;
            var value = registers[i];
            // ... high byte first, unless the bytes inside each word are swapped.
            var (high, low) = order is WordOrder.BADC or WordOrder.DCBA ? ((byte)value, (byte)(value >> 8)) : ((byte)(value >> 8), (byte)value);
            bytes[word * 2] = high;
            bytes[(word * 2) + 1] = low;
        }
    }

    /// <summary>The inverse of <see cref="ToBigEndian"/>.</summary>
    public static void FromBigEndian(ReadOnlySpan<byte> bytes, WordOrder order, Span<ushort> registers)
    {
        var n = registers.Length;
        for (var i = 0; i < n; i++)
        {
            var word = order is WordOrder.CDAB or WordOrder.DCBA ? n - 1 - i : i;
            byte high = bytes[word * 2], low = bytes[(word * 2) + 1];
            registers[i] = order is WordOrder.BADC or WordOrder.DCBA ? (ushort)((low << 8) | high) : (ushort)((high << 8) | low);
        }
    }

    private static double Clamp(double value, double min, double max) => Math.Round(Math.Clamp(double.IsNaN(value) ? 0 : value, min, max));
}
