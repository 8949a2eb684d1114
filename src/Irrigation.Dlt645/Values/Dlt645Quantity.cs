namespace Irrigation.Dlt645.Values;

/// <summary>
/// One data identifier of a typical three-phase meter with its value format and unit (DL/T 645-2007 appendix A).
/// A block identifier (DI1 or DI0 = FFH) returns <see cref="Count"/> values of the same format back to back.
/// </summary>
public sealed record Dlt645Quantity(string Name, Dlt645DataIdentifier Identifier, Dlt645DataFormat Format, string Unit, int Count = 1)
{
    public int ByteLength => Format.ByteLength * Count;

    /// <summary>Decodes every value of the reply's data (after the DI). False if short or a value is not BCD.</summary>
    public bool TryDecode(ReadOnlySpan<byte> data, out decimal[] values)
    {
        values = new decimal[Count];
        if (data.Length < ByteLength)
            return false;
        for (var i = 0; i < Count; i++)
        {
            if (!Format.TryDecode(data.Slice(i * Format.ByteLength, Format.ByteLength), out values[i]))
                return false;
        }

        return true;
    }

    /// <summary>Encodes <paramref name="values"/> (exactly <see cref="Count"/>) back to back, lowest byte first.</summary>
    public byte[] Encode(IReadOnlyList<decimal> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != Count)
            throw new ArgumentException($"{Name} holds {Count} value(s), got {values.Count}.", nameof(values));
        var bytes = new byte[ByteLength];
        for (var i = 0; i < Count; i++)
            Format.Encode(values[i], bytes.AsSpan(i * Format.ByteLength, Format.ByteLength));
        return bytes;
    }

    public override string ToString() => $"{Identifier} {Name} ({Format} {Unit})";
}

/// <summary>
/// The identifiers a pump station reads from a three-phase revenue meter. DI and format as in DL/T 645-2007
/// appendix A, tables A.1 (energy) and A.3 (variables); cross-checked against 600888/dlt645
/// go/config/variable_types.json. Signed formats carry the sign in the top bit.
/// </summary>
public static class Dlt645Quantities
{
    private static readonly Dlt645DataFormat Voltage = Dlt645DataFormat.Parse("XXX.X");
    private static readonly Dlt645DataFormat Current = Dlt645DataFormat.Parse("XXX.XXX", signed: true);
    private static readonly Dlt645DataFormat Power = Dlt645DataFormat.Parse("XX.XXXX", signed: true);
    private static readonly Dlt645DataFormat PowerFactor = Dlt645DataFormat.Parse("X.XXX", signed: true);
    private static readonly Dlt645DataFormat Frequency = Dlt645DataFormat.Parse("XX.XX");

    // Combined active energy = forward ± reverse as the meter's combination word says, so it can be negative; the
    // sign-bit reading is ours (see docs/dlt645.md), forward active energy is never negative.
    private static readonly Dlt645DataFormat CombinedEnergy = Dlt645DataFormat.Parse("XXXXXX.XX", signed: true);
    private static readonly Dlt645DataFormat Energy = Dlt645DataFormat.Parse("XXXXXX.XX");

    public static Dlt645Quantity CombinedActiveEnergy { get; } = new("combined active energy total", new(0x00000000), CombinedEnergy, "kWh");

    public static Dlt645Quantity ForwardActiveEnergy { get; } = new("forward active energy total", new(0x00010000), Energy, "kWh");

    public static Dlt645Quantity VoltageA { get; } = new("phase A voltage", new(0x02010100), Voltage, "V");

    public static Dlt645Quantity VoltageB { get; } = new("phase B voltage", new(0x02010200), Voltage, "V");

    public static Dlt645Quantity VoltageC { get; } = new("phase C voltage", new(0x02010300), Voltage, "V");

    public static Dlt645Quantity Voltages { get; } = new("phase voltages A, B, C", new(0x0201FF00), Voltage, "V", 3);

    public static Dlt645Quantity CurrentA { get; } = new("phase A current", new(0x02020100), Current, "A");

    public static Dlt645Quantity CurrentB { get; } = new("phase B current", new(0x02020200), Current, "A");

    public static Dlt645Quantity CurrentC { get; } = new("phase C current", new(0x02020300), Current, "A");

    public static Dlt645Quantity Currents { get; } = new("phase currents A, B, C", new(0x0202FF00), Current, "A", 3);

    public static Dlt645Quantity ActivePower { get; } = new("total active power", new(0x02030000), Power, "kW");

    public static Dlt645Quantity PowerFactorTotal { get; } = new("total power factor", new(0x02060000), PowerFactor, "");

    public static Dlt645Quantity GridFrequency { get; } = new("grid frequency", new(0x02800002), Frequency, "Hz");

    public static IReadOnlyList<Dlt645Quantity> All { get; } =
    [
        CombinedActiveEnergy, ForwardActiveEnergy,
        VoltageA, VoltageB, VoltageC, Voltages,
        CurrentA, CurrentB, CurrentC, Currents,
        ActivePower, PowerFactorTotal, GridFrequency,
    ];

    public static Dlt645Quantity? Find(Dlt645DataIdentifier identifier) => All.FirstOrDefault(q => q.Identifier == identifier);
}
