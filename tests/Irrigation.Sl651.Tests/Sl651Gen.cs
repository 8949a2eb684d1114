using FsCheck;
using FsCheck.Fluent;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Irrigation.Sl651.Values;

namespace Irrigation.Sl651.Tests;

/// <summary>Generators of valid messages within what the formats hold.</summary>
internal static class Sl651Gen
{
    public static readonly Gen<DateTime> Time =
        from y in Gen.Choose(2000, 2099)
        from mo in Gen.Choose(1, 12)
        from d in Gen.Choose(1, 28)
        from h in Gen.Choose(0, 23)
        from mi in Gen.Choose(0, 59)
        from s in Gen.Choose(0, 59)
        select new DateTime(y, mo, d, h, mi, s, DateTimeKind.Unspecified);

    public static readonly Gen<Sl651Header> Header =
        from centre in Gen.Choose(1, 255)
        from station in Gen.Choose(0, int.MaxValue)
        from high in Gen.Choose(0, 255)
        from password in Gen.Choose(0, 0xFFFF)
        select new Sl651Header((byte)centre, new Sl651StationAddress(((ulong)high << 32) | (uint)station), (ushort)password);

    /// <summary>A number element: 1..6 BCD bytes, 0..4 decimals, any value that fits, either sign.</summary>
    public static readonly Gen<(Sl651Element Element, decimal Value)> Number =
        from leader in Gen.Choose(0x01, 0x75)
        from bytes in Gen.Choose(1, 6)
        from decimals in Gen.Choose(0, Math.Min(4, bytes * 2))
        from digits in Gen.Choose(0, (int)Math.Min(int.MaxValue, Math.Pow(10, Math.Min(9, bytes * 2)) - 1))
        from negative in Gen.Elements(false, true)
        let magnitude = digits / (decimal)Math.Pow(10, decimals)
        let value = negative ? -magnitude : magnitude
        select (Sl651Element.Number((byte)(leader == 0x45 ? 0x46 : leader), bytes, decimals, value), value);

    public static readonly Gen<Sl651Message> Up =
        Gen.OneOf(
            from serial in Gen.Choose(1, 0xFFFF)
            from time in Time
            select (Sl651Message)new Sl651KeepAlive((ushort)serial, time),
            from kind in Gen.Elements(Sl651FunctionCode.Timed, Sl651FunctionCode.Additional, Sl651FunctionCode.PumpRealTime, Sl651FunctionCode.Test)
            from serial in Gen.Choose(1, 0xFFFF)
            from sent in Time
            from observed in Time
            from station in Header
            from numbers in Gen.ListOf(Number, 0).Resize(12)
            from status in Gen.Choose(0, 0xFFF)
            select (Sl651Message)new Sl651ObservationReport(kind, (ushort)serial, sent, station.Station, 0x44, observed.AddSeconds(-observed.Second),
                [.. numbers.Select(n => n.Element), Sl651Element.Status((Sl651StatusBits)status)]),
            from serial in Gen.Choose(0, 0xFFFF)
            from sent in Time
            from station in Header
            from pumps in Gen.Choose(1, 24)
            from bits in Gen.Choose(0, 0xFFFFFF)
            select (Sl651Message)new Sl651PumpStateReport((ushort)serial, sent, station.Station, Sl651PumpStates.Of(pumps, n => ((bits >> (n - 1)) & 1) == 1)));
}
