using Irrigation.Devices;
using Irrigation.Modbus.Server;

namespace Irrigation.FirmwareSim.Stations;

/// <summary>
/// The register tables a simulated device serves, laid out by its device profile: the blocks of the profile's
/// read plan are mapped (and nothing else, as on a real meter), and each refresh encodes engineering values
/// through the profile's types, word orders and scales — so the gateway decodes exactly what the physics says.
/// </summary>
internal sealed class RegisterImage
{
    private readonly IReadOnlyList<ReadBlock> _plan;
    private readonly IReadOnlyList<ModbusTable> _mirrorTables;

    /// <param name="mirrorRegistersToInput">Serve holding-register blocks as input registers too (meters whose map is read with FC03 or FC04).</param>
    public RegisterImage(ResolvedProfile profile, int pumpCount, bool mirrorRegistersToInput)
    {
        Profile = profile;
        Quantities = profile.Expand(pumpCount);
        _plan = ReadPlan.Build(Quantities, profile.Profile.ReadPlan);
        _mirrorTables = mirrorRegistersToInput ? [ModbusTable.HoldingRegisters, ModbusTable.InputRegisters] : [];
        foreach (var block in _plan)
        {
            foreach (var table in TablesFor(block.Function))
                Store.AddBlock(table, block.Start, block.Count);
        }
    }

    public ResolvedProfile Profile { get; }

    public IReadOnlyList<QuantityInstance> Quantities { get; }

    public ModbusDataStore Store { get; } = new();

    /// <summary>Encodes every quantity's current value into the store in one atomic update.</summary>
    /// <param name="valueOf">The engineering value of a quantity (NaN leaves it zero).</param>
    /// <param name="factorOf">The product of a quantity's ScaleBy values (CT/PT ratios).</param>
    /// <param name="swapWords">Fault injection: send 32/64-bit values with their words swapped.</param>
    public void Refresh(Func<QuantityInstance, double> valueOf, Func<QuantityInstance, double> factorOf, bool swapWords)
    {
        var images = _plan.Select(b => new ushort[b.Count]).ToArray();
        for (var i = 0; i < _plan.Count; i++)
        {
            var block = _plan[i];
            foreach (var q in block.Quantities)
            {
                var value = valueOf(q);
                if (double.IsNaN(value))
                    continue;
                var definition = swapWords && q.Definition.Width > 1 ? q.Definition with { WordOrder = Swap(q.Definition.WordOrder) } : q.Definition;
                QuantityCodec.Encode(definition, value, images[i].AsSpan(q.Definition.Address - block.Start, q.Definition.Width), factorOf(q));
            }
        }

        Store.Update(store =>
        {
            for (var i = 0; i < _plan.Count; i++)
            {
                foreach (var table in TablesFor(_plan[i].Function))
                    store.TryWrite(table, _plan[i].Start, images[i]);
            }
        });
    }

    private IEnumerable<ModbusTable> TablesFor(RegisterFunction function) => function switch
    {
        RegisterFunction.Coil => [ModbusTable.Coils],
        RegisterFunction.Discrete => [ModbusTable.DiscreteInputs],
        RegisterFunction.Holding or RegisterFunction.Input when _mirrorTables.Count > 0 => _mirrorTables,
        RegisterFunction.Holding => [ModbusTable.HoldingRegisters],
        _ => [ModbusTable.InputRegisters],
    };

    private static Modbus.Values.WordOrder Swap(Modbus.Values.WordOrder order) => order switch
    {
        Modbus.Values.WordOrder.ABCD => Modbus.Values.WordOrder.CDAB,
        Modbus.Values.WordOrder.CDAB => Modbus.Values.WordOrder.ABCD,
        Modbus.Values.WordOrder.BADC => Modbus.Values.WordOrder.DCBA,
        _ => Modbus.Values.WordOrder.BADC,
    };
}
