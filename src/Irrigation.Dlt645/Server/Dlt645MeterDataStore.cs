using System.Collections.Concurrent;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Messages;
using Irrigation.Dlt645.Values;

namespace Irrigation.Dlt645.Server;

/// <summary>
/// One simulated meter: its address and the current value of each identifier, set by the caller (the simulator's
/// physics). Answers 11H for identifiers it holds, 91H/B1H plus 12H follow-ups when a value is longer than
/// <see cref="MaxValueBytesPerFrame"/>, 13H with its address, and an abnormal reply with ERR "no requested data" for
/// identifiers it does not hold. Frames to other addresses and broadcasts are not answered, as on a real bus.
/// </summary>
public sealed class Dlt645MeterDataStore : IDlt645MeterHandler
{
    /// <summary>A read reply's L is at most 200 (§7.1.4): the 4-byte DI leaves 196 for the value.</summary>
    public const int DefaultMaxValueBytesPerFrame = 196;

    private readonly ConcurrentDictionary<Dlt645DataIdentifier, byte[]> _values = new();

    public Dlt645MeterDataStore(Dlt645Address address, int maxValueBytesPerFrame = DefaultMaxValueBytesPerFrame)
    {
        if (address.HasWildcards || address.IsBroadcast)
            throw new ArgumentException($"A meter's own address cannot be {address}.", nameof(address));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxValueBytesPerFrame);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxValueBytesPerFrame, Dlt645Frame.MaxDataLength - Dlt645DataIdentifier.Length - 1);
        Address = address;
        MaxValueBytesPerFrame = maxValueBytesPerFrame;
    }

    public Dlt645Address Address { get; }

    public int MaxValueBytesPerFrame { get; }

    /// <summary>Sets the raw value bytes (33H not added) an identifier answers with.</summary>
    public void SetRaw(Dlt645DataIdentifier identifier, ReadOnlySpan<byte> value) => _values[identifier] = value.ToArray();

    /// <summary>Sets a known quantity's value(s), encoded in its format; throws when a value does not fit.</summary>
    public void Set(Dlt645Quantity quantity, params decimal[] values)
    {
        ArgumentNullException.ThrowIfNull(quantity);
        _values[quantity.Identifier] = quantity.Encode(values);
    }

    public bool Remove(Dlt645DataIdentifier identifier) => _values.TryRemove(identifier, out _);

    public ValueTask<Dlt645Reply?> HandleAsync(Dlt645Request request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(Answer(request));
    }

    private Dlt645Reply? Answer(Dlt645Request request)
    {
        if (request is ReadAddressRequest)
            return new ReadAddressReply(Address);
        if (request.Address.IsBroadcast || !request.Address.Addresses(Address))
            return null;

        switch (request)
        {
            case ReadDataRequest read when _values.TryGetValue(read.Identifier, out var value):
                {
                    var first = value.AsMemory(0, Math.Min(value.Length, MaxValueBytesPerFrame));
                    return new ReadDataReply(Address, read.Identifier, first, HasFollowUp: value.Length > MaxValueBytesPerFrame);
                }

            case ReadFollowUpRequest next when _values.TryGetValue(next.Identifier, out var value):
                {
                    var start = next.Sequence * MaxValueBytesPerFrame;
                    if (next.Sequence == 0 || start >= value.Length)
                        return new AbnormalReply(Address, Dlt645Function.ReadFollowUp, Dlt645ErrorFlags.NoRequestedData);
                    var length = Math.Min(MaxValueBytesPerFrame, value.Length - start);
                    return new ReadFollowUpReply(Address, next.Identifier, value.AsMemory(start, length), next.Sequence, HasFollowUp: start + length < value.Length);
                }

            case ReadDataRequest:
                return new AbnormalReply(Address, Dlt645Function.ReadData, Dlt645ErrorFlags.NoRequestedData);
            case ReadFollowUpRequest:
                return new AbnormalReply(Address, Dlt645Function.ReadFollowUp, Dlt645ErrorFlags.NoRequestedData);
            default:
                return null;
        }
    }
}
