using Irrigation.Dlt645.Client;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Values;

namespace Irrigation.Devices.Dlt645;

/// <summary>One DL/T 645 read (11H) and the quantities its data carries, each as an element of the reply.</summary>
public sealed record Dlt645ReadBlock(Dlt645DataIdentifier Identifier, Dlt645DataFormat Format, IReadOnlyList<QuantityInstance> Quantities)
{
    /// <summary>Bytes the reply must carry: up to the highest element read.</summary>
    public int RequiredBytes => (Quantities.Max(q => q.Definition.Index) + 1) * Format.ByteLength;
}

/// <summary>
/// Reads a DL/T 645 meter through its resolved profile: one read per data identifier (a block identifier such as
/// 0201FF00 serves its three phases in one request), in the profile's order, one at a time on the link.
/// </summary>
public sealed class Dlt645DeviceReader
{
    public Dlt645DeviceReader(ResolvedProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.Protocol != DeviceProtocol.Dlt645)
            throw new ArgumentException($"Profile '{profile.Id}' is a {profile.Protocol} profile.", nameof(profile));
        Profile = profile;
        Quantities = profile.Expand(0);
        Plan = Quantities
            .GroupBy(q => q.Definition.DataIdentifier!, StringComparer.OrdinalIgnoreCase)
            .Select(g =>
            {
                if (!Dlt645ProfileValidator.TryParseIdentifier(g.Key, out var identifier))
                    throw new ArgumentException($"Profile '{profile.Id}': '{g.Key}' is not a data identifier (profiles are validated when loaded).", nameof(profile));
                var first = g.First().Definition;
                return new Dlt645ReadBlock(identifier, Dlt645DataFormat.Parse(first.Format!, first.Signed), g.ToList());
            })
            .ToList();
    }

    public ResolvedProfile Profile { get; }

    public IReadOnlyList<QuantityInstance> Quantities { get; }

    public IReadOnlyList<Dlt645ReadBlock> Plan { get; }

    /// <summary>Reads every identifier; any DL/T 645 failure (timeout, abnormal reply, bad data) propagates as a <see cref="Dlt645Exception"/>.</summary>
    public async Task<IReadOnlyList<QuantityValue>> ReadAsync(Dlt645Client client, Dlt645Address meter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var data = new byte[Plan.Count][];
        for (var i = 0; i < Plan.Count; i++)
            data[i] = (await client.ReadAsync(meter, Plan[i].Identifier, cancellationToken)).Data;
        return Decode(data, meter);
    }

    /// <summary>
    /// Decodes the data of <see cref="Plan"/>'s reads (33H removed), one array per read. A reply too short for its
    /// elements, or with a non-BCD digit (meters send FFH for what they do not measure), is a
    /// <see cref="Dlt645Exception"/> naming the identifier: the meter's data is then bad as a whole, never half-read.
    /// </summary>
    public IReadOnlyList<QuantityValue> Decode(IReadOnlyList<byte[]> data, Dlt645Address meter)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count != Plan.Count)
            throw new ArgumentException($"Expected {Plan.Count} replies, got {data.Count}.", nameof(data));
        var decoded = new Dictionary<QuantityInstance, double>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < Plan.Count; i++)
        {
            var block = Plan[i];
            if (data[i].Length < block.RequiredBytes)
                throw new Dlt645Exception($"DL/T 645 meter {meter}: {block.Identifier} answered {data[i].Length} byte(s), profile '{Profile.Id}' needs {block.RequiredBytes} ({block.Format}).");
            foreach (var q in block.Quantities)
            {
                var d = q.Definition;
                if (!block.Format.TryDecode(data[i].AsSpan(d.Index * block.Format.ByteLength, block.Format.ByteLength), out var value))
                    throw new Dlt645Exception($"DL/T 645 meter {meter}: {block.Identifier} element {d.Index} ({d.Name}) is {Convert.ToHexString(data[i], d.Index * block.Format.ByteLength, block.Format.ByteLength)}, not {block.Format} BCD.");
                decoded[q] = ((double)value * d.Scale) + d.Offset;
            }
        }

        return Quantities.Select(q => new QuantityValue(q.Key, q.Definition.Name, null, decoded[q], q.Definition.Unit)).ToList();
    }
}
