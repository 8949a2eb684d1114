namespace Irrigation.Devices;

/// <summary>One Modbus read request and the quantities it carries, each at an offset inside the response.</summary>
public sealed record ReadBlock(RegisterFunction Function, ushort Start, ushort Count, IReadOnlyList<QuantityInstance> Quantities);

/// <summary>
/// Groups quantities into as few requests as the device allows: per table, sorted by address, merged while the
/// gap between them is at most <see cref="ReadPlanSettings.MaxGap"/> and the request stays within
/// <see cref="ReadPlanSettings.MaxRegisters"/> (or <see cref="ReadPlanSettings.MaxBits"/>).
/// </summary>
public static class ReadPlan
{
    public static IReadOnlyList<ReadBlock> Build(IEnumerable<QuantityInstance> quantities, ReadPlanSettings settings)
    {
        ArgumentNullException.ThrowIfNull(quantities);
        ArgumentNullException.ThrowIfNull(settings);
        var blocks = new List<ReadBlock>();
        foreach (var table in quantities.GroupBy(q => q.Definition.Function).OrderBy(g => g.Key))
        {
            var limit = table.Key is RegisterFunction.Coil or RegisterFunction.Discrete ? settings.MaxBits : settings.MaxRegisters;
            var maxGap = table.Key is RegisterFunction.Coil or RegisterFunction.Discrete ? Math.Max(settings.MaxGap, 16) : settings.MaxGap;
            var current = new List<QuantityInstance>();
            int start = 0, end = 0; // end is exclusive
            foreach (var q in table.OrderBy(q => q.Definition.Address).ThenBy(q => q.Definition.Bit))
            {
                var qStart = q.Definition.Address;
                var qEnd = qStart + q.Definition.Width;
                if (current.Count > 0 && qStart - end <= maxGap && Math.Max(end, qEnd) - start <= limit)
                {
                    current.Add(q);
                    end = Math.Max(end, qEnd);
                    continue;
                }

                if (current.Count > 0)
                    blocks.Add(new ReadBlock(table.Key, (ushort)start, (ushort)(end - start), current));
                current = [q];
                start = qStart;
                end = qEnd;
            }

            if (current.Count > 0)
                blocks.Add(new ReadBlock(table.Key, (ushort)start, (ushort)(end - start), current));
        }

        return blocks;
    }
}
