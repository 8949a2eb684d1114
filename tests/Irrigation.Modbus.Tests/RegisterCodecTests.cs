using FsCheck;
using FsCheck.Fluent;
using Irrigation.Modbus.Tests.TestSupport;
using Irrigation.Modbus.Values;

namespace Irrigation.Modbus.Tests;

public sealed class RegisterCodecTests
{
    private static ushort[] Encode(double raw, RegisterType type, WordOrder order)
    {
        var registers = new ushort[type.RegisterCount()];
        RegisterCodec.Encode(raw, type, order, registers);
        return registers;
    }

    private static string Words(ushort[] registers) => string.Join(' ', registers.Select(r => r.ToString("X4", System.Globalization.CultureInfo.InvariantCulture)));

    // 230.0f = 0x43660000: bytes A=43 B=66 C=00 D=00.
    [Theory]
    [InlineData(WordOrder.ABCD, "4366 0000")]
    [InlineData(WordOrder.CDAB, "0000 4366")]
    [InlineData(WordOrder.BADC, "6643 0000")]
    [InlineData(WordOrder.DCBA, "0000 6643")]
    public void Encode_Float230_LaysOutBytesPerWordOrder(WordOrder order, string expected)
    {
        Assert.Equal(0x43660000u, BitConverter.SingleToUInt32Bits(230.0f));
        Assert.Equal(expected, Words(Encode(230.0, RegisterType.Float32, order)));
    }

    [Theory]
    [InlineData(WordOrder.ABCD, new ushort[] { 0x4366, 0x0000 })]
    [InlineData(WordOrder.CDAB, new ushort[] { 0x0000, 0x4366 })]
    [InlineData(WordOrder.BADC, new ushort[] { 0x6643, 0x0000 })]
    [InlineData(WordOrder.DCBA, new ushort[] { 0x0000, 0x6643 })]
    public void Decode_Float230Registers_Gives230(WordOrder order, ushort[] registers) =>
        Assert.Equal(230.0, RegisterCodec.Decode(registers, RegisterType.Float32, order));

    [Fact]
    public void Decode_WordOrderDocExample_Float10() =>
        Assert.Equal(10.0, RegisterCodec.Decode([0x4120, 0x0000], RegisterType.Float32));

    // 0x12345678 = 305419896: bytes A=12 B=34 C=56 D=78.
    [Theory]
    [InlineData(WordOrder.ABCD, "1234 5678")]
    [InlineData(WordOrder.CDAB, "5678 1234")]
    [InlineData(WordOrder.BADC, "3412 7856")]
    [InlineData(WordOrder.DCBA, "7856 3412")]
    public void Encode_UInt32_LaysOutBytesPerWordOrder(WordOrder order, string expected)
    {
        var registers = Encode(0x12345678, RegisterType.UInt32, order);
        Assert.Equal(expected, Words(registers));
        Assert.Equal(305419896.0, RegisterCodec.Decode(registers, RegisterType.UInt32, order));
    }

    // -2 = 0xFFFFFFFE.
    [Theory]
    [InlineData(WordOrder.ABCD, "FFFF FFFE")]
    [InlineData(WordOrder.CDAB, "FFFE FFFF")]
    [InlineData(WordOrder.BADC, "FFFF FEFF")]
    [InlineData(WordOrder.DCBA, "FEFF FFFF")]
    public void Encode_NegativeInt32_TwosComplementPerWordOrder(WordOrder order, string expected)
    {
        var registers = Encode(-2, RegisterType.Int32, order);
        Assert.Equal(expected, Words(registers));
        Assert.Equal(-2.0, RegisterCodec.Decode(registers, RegisterType.Int32, order));
    }

    [Fact]
    public void Decode_SameRegistersAsUInt32AndInt32_DifferInSign()
    {
        ushort[] registers = [0xFFFF, 0xFFFE];
        Assert.Equal(4294967294.0, RegisterCodec.Decode(registers, RegisterType.UInt32));
        Assert.Equal(-2.0, RegisterCodec.Decode(registers, RegisterType.Int32));
    }

    // 0x0001020304050607 (below 2^53, so exact as a double): bytes A..H = 00 01 02 03 04 05 06 07.
    [Theory]
    [InlineData(WordOrder.ABCD, "0001 0203 0405 0607")]
    [InlineData(WordOrder.CDAB, "0607 0405 0203 0001")]
    [InlineData(WordOrder.BADC, "0100 0302 0504 0706")]
    [InlineData(WordOrder.DCBA, "0706 0504 0302 0100")]
    public void Encode_UInt64_LaysOutFourRegistersPerWordOrder(WordOrder order, string expected)
    {
        const ulong value = 0x0001020304050607;
        var registers = Encode(value, RegisterType.UInt64, order);
        Assert.Equal(expected, Words(registers));
        Assert.Equal((double)value, RegisterCodec.Decode(registers, RegisterType.UInt64, order));
        Assert.Equal((double)value, RegisterCodec.Decode(registers, RegisterType.Int64, order));
    }

    [Fact]
    public void Encode_Float64One_IsIeeeBigEndian() =>
        Assert.Equal("3FF0 0000 0000 0000", Words(Encode(1.0, RegisterType.Float64, WordOrder.ABCD)));

    [Fact]
    public void Decode_Int64AllOnes_IsMinusOne() =>
        Assert.Equal(-1.0, RegisterCodec.Decode([0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF], RegisterType.Int64, WordOrder.DCBA));

    [Theory]
    [InlineData(0x8001, 0, 1)]
    [InlineData(0x8001, 1, 0)]
    [InlineData(0x8001, 15, 1)]
    [InlineData(0x0004, 2, 1)]
    [InlineData(0xFFFB, 2, 0)]
    public void Decode_Bit_ExtractsOneBit(ushort register, int bit, double expected) =>
        Assert.Equal(expected, RegisterCodec.Decode([register], RegisterType.Bit, bit: bit));

    [Fact]
    public void Encode_Bit_SetsAndClearsOnlyThatBit()
    {
        ushort[] register = [0x00F0];
        RegisterCodec.Encode(1, RegisterType.Bit, WordOrder.ABCD, register, bit: 15);
        Assert.Equal(0x80F0, register[0]);
        RegisterCodec.Encode(0, RegisterType.Bit, WordOrder.ABCD, register, bit: 4);
        Assert.Equal(0x80E0, register[0]);
        RegisterCodec.Encode(0, RegisterType.Bit, WordOrder.ABCD, register, bit: 0);
        Assert.Equal(0x80E0, register[0]);
    }

    [Theory]
    [InlineData(RegisterType.UInt16, 70000, "FFFF")]
    [InlineData(RegisterType.UInt16, -5, "0000")]
    [InlineData(RegisterType.UInt16, 1.6, "0002")]
    [InlineData(RegisterType.UInt16, double.NaN, "0000")]
    [InlineData(RegisterType.Int16, 40000, "7FFF")]
    [InlineData(RegisterType.Int16, -40000, "8000")]
    [InlineData(RegisterType.Int16, -1, "FFFF")]
    [InlineData(RegisterType.Int16, -1.6, "FFFE")]
    [InlineData(RegisterType.UInt32, -1, "0000 0000")]
    [InlineData(RegisterType.UInt32, 5e9, "FFFF FFFF")]
    [InlineData(RegisterType.Int32, 3e9, "7FFF FFFF")]
    [InlineData(RegisterType.Int32, -3e9, "8000 0000")]
    [InlineData(RegisterType.UInt64, -1, "0000 0000 0000 0000")]
    [InlineData(RegisterType.UInt64, 1e30, "FFFF FFFF FFFF FFFF")]
    [InlineData(RegisterType.Int64, 1e30, "7FFF FFFF FFFF FFFF")]
    [InlineData(RegisterType.Int64, -1e30, "8000 0000 0000 0000")]
    [InlineData(RegisterType.Int64, 2.4, "0000 0000 0000 0002")]
    public void Encode_IntegerOutOfRangeOrFractional_RoundsAndClamps(RegisterType type, double raw, string expected) =>
        Assert.Equal(expected, Words(Encode(raw, type, WordOrder.ABCD)));

    [Fact]
    public void Decode_TooFewRegisters_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => RegisterCodec.Decode([0x4366], RegisterType.Float32));

    [Theory]
    [InlineData(RegisterType.UInt16, 1)]
    [InlineData(RegisterType.Int16, 1)]
    [InlineData(RegisterType.Bit, 1)]
    [InlineData(RegisterType.UInt32, 2)]
    [InlineData(RegisterType.Int32, 2)]
    [InlineData(RegisterType.Float32, 2)]
    [InlineData(RegisterType.UInt64, 4)]
    [InlineData(RegisterType.Int64, 4)]
    [InlineData(RegisterType.Float64, 4)]
    public void RegisterCount_EachType_IsItsWidthInRegisters(RegisterType type, int count) => Assert.Equal(count, type.RegisterCount());

    /// <summary>Values each type represents exactly (64-bit integers within ±2^53, where a double is exact).</summary>
    private static Gen<double> ExactValues(RegisterType type)
    {
        const long exact = 1L << 53;
        return type switch
        {
            RegisterType.UInt16 => Gen.Choose(0, ushort.MaxValue).Select(v => (double)v),
            RegisterType.Int16 => Gen.Choose(short.MinValue, short.MaxValue).Select(v => (double)v),
            RegisterType.UInt32 => ModbusGen.Bytes(4, 4).Select(b => (double)BitConverter.ToUInt32(b)),
            RegisterType.Int32 => ModbusGen.Bytes(4, 4).Select(b => (double)BitConverter.ToInt32(b)),
            RegisterType.Float32 => ModbusGen.Bytes(4, 4).Select(b => (double)BitConverter.ToSingle(b)).Where(v => !double.IsNaN(v)),
            RegisterType.UInt64 => ModbusGen.Bytes(8, 8).Select(b => (double)(BitConverter.ToUInt64(b) % (ulong)exact)),
            RegisterType.Int64 => ModbusGen.Bytes(8, 8).Select(b => (double)(BitConverter.ToInt64(b) % exact)),
            RegisterType.Float64 => ModbusGen.Bytes(8, 8).Select(b => BitConverter.ToDouble(b)).Where(v => !double.IsNaN(v)),
            _ => Gen.Elements(0.0, 1.0),
        };
    }

    [Fact]
    public void EncodeThenDecode_EveryTypeInEveryWordOrder_RoundTrips()
    {
        var samples =
            from type in Gen.Elements(Enum.GetValues<RegisterType>())
            from order in Gen.Elements(Enum.GetValues<WordOrder>())
            from bit in Gen.Choose(0, 15)
            from value in ExactValues(type)
            select (type, order, bit, value);
        PropertyCheck.ForAll(samples, sample =>
        {
            var registers = new ushort[sample.type.RegisterCount()];
            RegisterCodec.Encode(sample.value, sample.type, sample.order, registers, sample.bit);
            var decoded = RegisterCodec.Decode(registers, sample.type, sample.order, sample.bit);
            Assert.Equal(BitConverter.DoubleToInt64Bits(sample.value), BitConverter.DoubleToInt64Bits(decoded));
        },
        maxTest: 2000);
    }

    [Fact]
    public void ToBigEndianThenFromBigEndian_AnyRegistersInAnyOrder_RoundTrips() =>
        PropertyCheck.ForAll(
            from order in Gen.Elements(Enum.GetValues<WordOrder>())
            from registers in ModbusGen.Words(1, 4)
            select (order, registers),
            sample =>
            {
                var bytes = new byte[sample.registers.Length * 2];
                RegisterCodec.ToBigEndian(sample.registers, sample.order, bytes);
                var back = new ushort[sample.registers.Length];
                RegisterCodec.FromBigEndian(bytes, sample.order, back);
                Assert.Equal(sample.registers, back);
            });
}
