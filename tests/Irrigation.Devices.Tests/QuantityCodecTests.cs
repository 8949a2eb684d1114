using FsCheck;
using FsCheck.Fluent;
using Irrigation.Devices.Tests.TestSupport;
using Irrigation.Modbus.Values;

namespace Irrigation.Devices.Tests;

/// <summary>Engineering value = raw × scale × factor + offset, and back.</summary>
public sealed class QuantityCodecTests
{
    private static readonly RegisterType[] NumericTypes =
    [
        RegisterType.UInt16, RegisterType.Int16, RegisterType.UInt32, RegisterType.Int32,
        RegisterType.Float32, RegisterType.UInt64, RegisterType.Int64, RegisterType.Float64,
    ];

    [Fact]
    public void Decode_ScaleFactorAndOffset_AppliesRawTimesScaleTimesFactorPlusOffset()
    {
        var quantity = new QuantityDefinition { Name = "temperature", Address = 0, Type = RegisterType.Int16, Scale = 0.1, Offset = -40 };

        Assert.Equal((-25 * 0.1 * 2) - 40, QuantityCodec.Decode(quantity, [unchecked((ushort)-25)], factor: 2), 12);
    }

    [Fact]
    public void Encode_IntegerType_RoundsToTheNearestRawAndClamps()
    {
        var quantity = new QuantityDefinition { Name = "current", Address = 0, Type = RegisterType.UInt16, Scale = 0.01 };
        var registers = new ushort[1];

        QuantityCodec.Encode(quantity, 2.506, registers);
        Assert.Equal((ushort)251, registers[0]);

        QuantityCodec.Encode(quantity, -3, registers);
        Assert.Equal((ushort)0, registers[0]);

        QuantityCodec.Encode(quantity, 1e9, registers);
        Assert.Equal(ushort.MaxValue, registers[0]);
    }

    [Fact]
    public void Encode_Factor_DividesItBackOut()
    {
        var quantity = new QuantityDefinition { Name = "current_a", Address = 0, Type = RegisterType.UInt16, Scale = 0.01 };
        var registers = new ushort[1];

        QuantityCodec.Encode(quantity, 50.0, registers, factor: 20);

        Assert.Equal((ushort)250, registers[0]);
    }

    [Fact]
    public void Encode_Bit_ChangesOnlyItsBit()
    {
        var fault = new QuantityDefinition { Name = "fault", Address = 0, Type = RegisterType.Bit, Bit = 1 };
        ushort[] registers = [0b1000_0000_0000_0101];

        QuantityCodec.Encode(fault, 1, registers);
        Assert.Equal((ushort)0b1000_0000_0000_0111, registers[0]);
        Assert.Equal(1, QuantityCodec.Decode(fault, registers));

        QuantityCodec.Encode(fault, 0, registers);
        Assert.Equal((ushort)0b1000_0000_0000_0101, registers[0]);
        Assert.Equal(0, QuantityCodec.Decode(fault, registers));
    }

    [Fact]
    public void Decode_CoilTable_IsZeroOrOne()
    {
        var coil = new QuantityDefinition { Name = "start", Function = RegisterFunction.Coil, Address = 0, Type = RegisterType.Bit };

        Assert.Equal(1, QuantityCodec.Decode(coil, [1]));
        Assert.Equal(0, QuantityCodec.Decode(coil, [0]));
    }

    [Fact]
    public void EncodeThenDecode_RandomValuesScalesAndWordOrders_RoundTripsWithinTheTypesPrecision() =>
        PropertyCheck.ForAll(
            from type in Gen.Elements(NumericTypes)
            from order in Gen.Elements(Enum.GetValues<WordOrder>())
            from scale in Gen.Elements(0.001, 0.01, 0.1, 0.5, 1.0, 10.0, -1.0, -0.1)
            from offset in Gen.Elements(0.0, -40.0, 273.15, 1000.0)
            from factor in Gen.Elements(1.0, 20.0, 0.5)
            from raw in Raw(type)
            select (type, order, scale, offset, factor, raw),
            sample =>
            {
                var (type, order, scale, offset, factor, raw) = sample;
                var quantity = new QuantityDefinition { Name = "q", Address = 0, Type = type, WordOrder = order, Scale = scale, Offset = offset };
                var value = (raw * scale * factor) + offset;
                var registers = new ushort[type.RegisterCount()];

                QuantityCodec.Encode(quantity, value, registers, factor);
                var decoded = QuantityCodec.Decode(quantity, registers, factor);

                // Integers round the raw value (half a step); float32 keeps 24 bits of it; float64 is exact
                // up to the arithmetic on scale and offset.
                var step = Math.Abs(scale * factor);
                var precision = type switch
                {
                    RegisterType.Float32 => Math.Abs(raw) * step * Math.Pow(2, -23),
                    RegisterType.Float64 => 0,
                    _ => step / 2,
                };
                var tolerance = precision + (1e-9 * (Math.Abs(value) + Math.Abs(offset) + 1));
                Assert.True(Math.Abs(decoded - value) <= tolerance, $"{type} {order} scale {scale} offset {offset} factor {factor}: {value} -> {decoded} (tolerance {tolerance})");
            });

    [Fact]
    public void EncodeThenDecode_RandomBits_RoundTripAndLeaveOtherBits() =>
        PropertyCheck.ForAll(
            from bit in Gen.Choose(0, 15)
            from set in Gen.Elements(true, false)
            from before in Gen.Choose(0, 0xFFFF)
            select (bit, set, before: (ushort)before),
            sample =>
            {
                var quantity = new QuantityDefinition { Name = "b", Address = 0, Type = RegisterType.Bit, Bit = sample.bit };
                ushort[] registers = [sample.before];

                QuantityCodec.Encode(quantity, sample.set ? 1 : 0, registers);

                Assert.Equal(sample.set ? 1 : 0, QuantityCodec.Decode(quantity, registers));
                Assert.Equal(sample.before & ~(1 << sample.bit), registers[0] & ~(1 << sample.bit));
            });

    /// <summary>A raw register value inside the type's range, fractional so integer types must round.</summary>
    private static Gen<double> Raw(RegisterType type)
    {
        var (min, max) = type switch
        {
            RegisterType.UInt16 => (0.0, ushort.MaxValue),
            RegisterType.Int16 => (short.MinValue, short.MaxValue),
            RegisterType.UInt32 => (0.0, uint.MaxValue),
            RegisterType.Int32 => (int.MinValue, int.MaxValue),
            RegisterType.UInt64 => (0.0, 1e12),
            RegisterType.Int64 => (-1e12, 1e12),
            _ => (0.0, 0.0),
        };
        if (type is RegisterType.Float32 or RegisterType.Float64)
        {
            // sign × 1.000..9.999 × 10^-4..10^8
            return from negative in Gen.Elements(true, false)
                   from mantissa in Gen.Choose(1000, 9999)
                   from exponent in Gen.Choose(-4, 8)
                   select (negative ? -1 : 1) * mantissa / 1000.0 * Math.Pow(10, exponent);
        }

        return from high in Gen.Choose(0, 1_000_000)
               from low in Gen.Choose(0, 1_000_000)
               select min + ((max - min) * ((high * 1e6) + low) / 1e12);
    }
}
