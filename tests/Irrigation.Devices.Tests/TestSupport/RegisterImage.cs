namespace Irrigation.Devices.Tests.TestSupport;

/// <summary>
/// The four tables of a simulated device, every address present: values are written through
/// <see cref="QuantityCodec.Encode"/> and read back as the responses a <see cref="DeviceReader"/>'s plan asks for.
/// </summary>
internal sealed class RegisterImage
{
    private readonly Dictionary<RegisterFunction, ushort[]> _tables = Enum.GetValues<RegisterFunction>().ToDictionary(f => f, _ => new ushort[0x10000]);

    public ushort[] this[RegisterFunction function] => _tables[function];

    /// <summary>Writes raw registers at <paramref name="address"/>.</summary>
    public RegisterImage Write(RegisterFunction function, ushort address, params ushort[] registers)
    {
        registers.CopyTo(_tables[function], address);
        return this;
    }

    /// <summary>Encodes <paramref name="value"/> (engineering units) into <paramref name="quantity"/>'s registers.</summary>
    public RegisterImage Encode(QuantityInstance quantity, double value, double factor = 1)
    {
        var q = quantity.Definition;
        QuantityCodec.Encode(q, value, _tables[q.Function].AsSpan(q.Address, q.Width), factor);
        return this;
    }

    /// <summary>One response per block of <paramref name="plan"/>, bits as 0/1 words.</summary>
    public IReadOnlyList<ushort[]> Responses(IReadOnlyList<ReadBlock> plan) =>
        plan.Select(b => _tables[b.Function].AsSpan(b.Start, b.Count).ToArray()).ToList();
}
