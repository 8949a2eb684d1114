using Irrigation.Modbus.Values;

namespace Irrigation.Devices;

/// <summary>Engineering values &lt;-&gt; registers for one quantity: the register codec plus scale and offset.</summary>
public static class QuantityCodec
{
    /// <summary>raw × scale + offset; <paramref name="factor"/> is the product of the ScaleBy quantities (1 if none).</summary>
    public static double Decode(QuantityDefinition quantity, ReadOnlySpan<ushort> registers, double factor = 1)
    {
        ArgumentNullException.ThrowIfNull(quantity);
        if (quantity.IsBitTable)
            return registers[0] != 0 ? 1 : 0;
        var raw = RegisterCodec.Decode(registers, quantity.Type, quantity.WordOrder, quantity.Bit);
        return (raw * quantity.Scale * factor) + quantity.Offset;
    }

    /// <summary>The inverse of <see cref="Decode"/>: writes <paramref name="value"/> into <paramref name="registers"/>.</summary>
    public static void Encode(QuantityDefinition quantity, double value, Span<ushort> registers, double factor = 1)
    {
        ArgumentNullException.ThrowIfNull(quantity);
        if (quantity.IsBitTable)
        {
            registers[0] = value != 0 ? (ushort)1 : (ushort)0;
            return;
        }

        var raw = quantity.Type == RegisterType.Bit ? value : (value - quantity.Offset) / (quantity.Scale * factor);
        RegisterCodec.Encode(raw, quantity.Type, quantity.WordOrder, registers, quantity.Bit);
    }
}
