using Irrigation.Modbus.Client;
using Irrigation.Modbus.Pdu;

namespace Irrigation.Devices;

/// <summary>One decoded quantity. <see cref="Key"/> is "voltage_a" or "pump2.running".</summary>
public readonly record struct QuantityValue(string Key, string Name, int? Pump, double Value, string Unit);

/// <summary>
/// Reads a device through its resolved profile: executes the read plan on a Modbus master and decodes every
/// quantity. Built once per device; <see cref="ReadAsync"/> is what a poll cycle calls.
/// </summary>
public sealed class DeviceReader
{
    private readonly IReadOnlyList<ReadBlock> _plan;
    private readonly Dictionary<QuantityInstance, int> _blockOf = new(ReferenceEqualityComparer.Instance);

    public DeviceReader(ResolvedProfile profile, int pumpCount)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Profile = profile;
        PumpCount = pumpCount;
        Quantities = profile.Expand(pumpCount);
        _plan = ReadPlan.Build(Quantities, profile.Profile.ReadPlan);
        for (var i = 0; i < _plan.Count; i++)
        {
            foreach (var q in _plan[i].Quantities)
                _blockOf[q] = i;
        }
    }

    public ResolvedProfile Profile { get; }

    public int PumpCount { get; }

    public IReadOnlyList<QuantityInstance> Quantities { get; }

    public IReadOnlyList<ReadBlock> Plan => _plan;

    /// <summary>Reads every block; any Modbus failure propagates so the caller can mark the device's data bad.</summary>
    public async Task<IReadOnlyList<QuantityValue>> ReadAsync(IModbusMaster master, byte unitId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(master);
        var responses = new ushort[_plan.Count][];
        for (var i = 0; i < _plan.Count; i++)
        {
            var block = _plan[i];
            responses[i] = block.Function switch
            {
                RegisterFunction.Holding => await master.ReadHoldingRegistersAsync(unitId, block.Start, block.Count, cancellationToken),
                RegisterFunction.Input => await master.ReadInputRegistersAsync(unitId, block.Start, block.Count, cancellationToken),
                RegisterFunction.Coil => ToWords(await master.ReadCoilsAsync(unitId, block.Start, block.Count, cancellationToken)),
                _ => ToWords(await master.ReadInputsAsync(unitId, block.Start, block.Count, cancellationToken)),
            };
        }

        return Decode(responses);
    }

    /// <summary>Decodes the raw responses of <see cref="Plan"/> (one array per block, bits as 0/1 words).</summary>
    public IReadOnlyList<QuantityValue> Decode(IReadOnlyList<ushort[]> responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        if (responses.Count != _plan.Count)
            throw new ArgumentException($"Expected {_plan.Count} responses, got {responses.Count}.", nameof(responses));

        // Unscaled pass first, so quantities scaled by others (CT/PT ratios) can look their factors up.
        var plain = new Dictionary<(string Name, int? Pump), double>();
        for (var i = 0; i < _plan.Count; i++)
        {
            foreach (var q in _plan[i].Quantities)
            {
                if (q.Definition.ScaleBy.Count == 0)
                    plain[(q.Definition.Name, q.Pump)] = QuantityCodec.Decode(q.Definition, Slice(responses[i], _plan[i], q));
            }
        }

        var values = new List<QuantityValue>(Quantities.Count);
        foreach (var q in Quantities)
        {
            var blockIndex = _blockOf[q];
            double value;
            if (q.Definition.ScaleBy.Count == 0)
            {
                value = plain[(q.Definition.Name, q.Pump)];
            }
            else
            {
                var factor = 1.0;
                foreach (var name in q.Definition.ScaleBy)
                    factor *= plain.TryGetValue((name, q.Pump), out var f) ? f : plain[(name, null)];
                value = QuantityCodec.Decode(q.Definition, Slice(responses[blockIndex], _plan[blockIndex], q), factor);
            }

            values.Add(new QuantityValue(q.Key, q.Definition.Name, q.Pump, value, q.Definition.Unit));
        }

        return values;
    }

    private static ReadOnlySpan<ushort> Slice(ushort[] response, ReadBlock block, QuantityInstance q) =>
        response.AsSpan(q.Definition.Address - block.Start, q.Definition.Width);

    private static ushort[] ToWords(bool[] bits) => Array.ConvertAll(bits, b => b ? (ushort)1 : (ushort)0);

    /// <summary>The request for a block, for callers that talk to the master themselves.</summary>
    public static ReadRequest ToRequest(ReadBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var function = block.Function switch
        {
            RegisterFunction.Coil => ModbusFunctionCode.ReadCoils,
            RegisterFunction.Discrete => ModbusFunctionCode.ReadDiscreteInputs,
            RegisterFunction.Holding => ModbusFunctionCode.ReadHoldingRegisters,
            _ => ModbusFunctionCode.ReadInputRegisters,
        };
        return new ReadRequest(function, block.Start, block.Count);
    }
}
