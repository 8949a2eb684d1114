using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Values;

namespace Irrigation.Sl651.Messages;

/// <summary>Who talks to whom: centre address, station address and password, the same in every frame of a link.</summary>
public readonly record struct Sl651Header(byte CentreAddress, Sl651StationAddress Station, ushort Password);

/// <summary>A decoded body; each knows its function code.</summary>
public abstract record Sl651Message(ushort Serial, DateTime SendTime)
{
    public abstract Sl651FunctionCode Function { get; }
}

/// <summary>2FH up (§6.6.4.2, table 27): the serial of the last data message (not incremented) and the send time.</summary>
public sealed record Sl651KeepAlive(ushort Serial, DateTime SendTime) : Sl651Message(Serial, SendTime)
{
    public override Sl651FunctionCode Function => Sl651FunctionCode.KeepAlive;
}

/// <summary>
/// An up report with station address, station category, observation time and element groups: 30H test, 32H timed,
/// 33H additional, 34H hourly, 37H/3AH query replies, 44H pump/motor real-time data (tables 28, 32, 34, 36, 55).
/// </summary>
public sealed record Sl651ObservationReport(
    Sl651FunctionCode Kind,
    ushort Serial,
    DateTime SendTime,
    Sl651StationAddress Station,
    byte StationCategory,
    DateTime ObservationTime,
    IReadOnlyList<Sl651Element> Elements) : Sl651Message(Serial, SendTime)
{
    /// <summary>Appendix A: pump station 44H ('D'); river 48H ('H').</summary>
    public const byte PumpStationCategory = 0x44;

    public override Sl651FunctionCode Function => Kind;

    public Sl651Element? Find(byte leader) => Elements.FirstOrDefault(e => e.Identifier.Leader == leader);

    public decimal? Number(byte leader) => Find(leader) is { } e && e.TryGetNumber(out var v) ? v : null;
}

/// <summary>Pump on/off bits (table 71): a byte count, then D0 of the first byte = pump 1 … D7 = pump 8, and so on.</summary>
public sealed record Sl651PumpStates(ReadOnlyMemory<byte> Bits)
{
    public int Capacity => Bits.Length * 8;

    /// <summary>Whether pump <paramref name="number"/> (1-based) is on (1) — false beyond the bytes sent.</summary>
    public bool IsOn(int number) => number >= 1 && number <= Capacity && (Bits.Span[(number - 1) / 8] & (1 << ((number - 1) % 8))) != 0;

    public static Sl651PumpStates Of(int pumps, Func<int, bool> isOn)
    {
        ArgumentNullException.ThrowIfNull(isOn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pumps);
        var bits = new byte[(pumps + 7) / 8];
        for (var n = 1; n <= pumps; n++)
        {
            if (isOn(n))
                bits[(n - 1) / 8] |= (byte)(1 << ((n - 1) % 8));
        }

        return new Sl651PumpStates(bits);
    }

    public bool Equals(Sl651PumpStates? other) => other is not null && Bits.Span.SequenceEqual(other.Bits.Span);

    public override int GetHashCode() => Convert.ToHexString(Bits.Span).GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Convert.ToHexString(Bits.Span);
}

/// <summary>4CH up (table 73): the pump state after a command, or a self-report of it. No station category.</summary>
public sealed record Sl651PumpStateReport(ushort Serial, DateTime SendTime, Sl651StationAddress Station, Sl651PumpStates Pumps) : Sl651Message(Serial, SendTime)
{
    public override Sl651FunctionCode Function => Sl651FunctionCode.PumpSwitch;
}

/// <summary>
/// A down acknowledgement of an up message (tables 29, 31, 33, 35, 37, 72 without data): the serial of the message
/// acknowledged and the centre's time; the frame's end character says EOT (go offline), ESC (stay online) or ACK.
/// </summary>
public sealed record Sl651Acknowledgement(Sl651FunctionCode Acknowledged, ushort Serial, DateTime SendTime) : Sl651Message(Serial, SendTime)
{
    public override Sl651FunctionCode Function => Acknowledged;
}

/// <summary>A down query with no parameters, ended ENQ: 37H real-time data, 44H pump/motor data, 46H status (tables 54, 59).</summary>
public sealed record Sl651Query(Sl651FunctionCode Kind, ushort Serial, DateTime SendTime) : Sl651Message(Serial, SendTime)
{
    public override Sl651FunctionCode Function => Kind;
}

/// <summary>4CH down, ended ENQ (table 72): switch the station's pumps to these states. Centre-initiated, so serial 0 (§6.6.2.4).</summary>
public sealed record Sl651PumpSwitchCommand(ushort Serial, DateTime SendTime, Sl651PumpStates Pumps) : Sl651Message(Serial, SendTime)
{
    public override Sl651FunctionCode Function => Sl651FunctionCode.PumpSwitch;
}
