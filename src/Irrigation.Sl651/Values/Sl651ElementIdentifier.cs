namespace Irrigation.Sl651.Values;

/// <summary>
/// An element identifier in HEX/BCD framing (§6.6.3.2, table 26): the leader byte (appendix C) and the data definition
/// byte — high 5 bits the data's byte count (sign byte included), low 3 bits the digits after the decimal point.
/// F0H/F1H (observation time, station address) use F0F0H/F1F1H as the whole identifier (table C.1 notes a, b).
/// </summary>
public readonly record struct Sl651ElementIdentifier(byte Leader, byte Definition)
{
    public const byte ObservationTimeLeader = 0xF0;
    public const byte StationAddressLeader = 0xF1;

    public int DataLength => Definition >> 3;

    public int Decimals => Definition & 0x7;

    public static Sl651ElementIdentifier Numeric(byte leader, int dataLength, int decimals)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)dataLength, 31u, nameof(dataLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)decimals, 7u, nameof(decimals));
        return new(leader, (byte)((dataLength << 3) | decimals));
    }

    public override string ToString() => $"{Leader:X2}{Definition:X2}";
}

/// <summary>
/// The numeric elements of table C.1 this system reports, with the standard's data definition N(D,d): D digits, d
/// after the point. Their HEX/BCD definition byte holds ceil(D/2) bytes (the natural width; a negative value takes
/// one more byte for its FFH, §6.6.3.3a).
/// </summary>
public sealed record Sl651ElementDefinition(byte Leader, string Code, string Name, string Unit, int Digits, int Decimals)
{
    public int ByteLength => (Digits + 1) / 2;

    public Sl651ElementIdentifier Identifier => Sl651ElementIdentifier.Numeric(Leader, ByteLength, Decimals);
}

/// <summary>Table C.1 rows used by pump stations (leader, ASCII code, N(D,d)).</summary>
public static class Sl651Elements
{
    public static readonly Sl651ElementDefinition RunningHours = new(0x05, "DT", "duration (pumping)", "h.mm", 4, 2);
    public static readonly Sl651ElementDefinition UnitsRunning = new(0x19, "NS", "units running", "", 2, 0);
    public static readonly Sl651ElementDefinition Rainfall = new(0x20, "PJ", "current rainfall", "mm", 5, 1);
    public static readonly Sl651ElementDefinition RainfallTotal = new(0x26, "PT", "accumulated rainfall", "mm", 6, 1);
    public static readonly Sl651ElementDefinition Flow = new(0x27, "Q", "instantaneous / pumping flow", "m3/s", 9, 3);
    public static readonly Sl651ElementDefinition SupplyVoltage = new(0x38, "VT", "supply voltage", "V", 4, 2);
    public static readonly Sl651ElementDefinition RiverLevel = new(0x39, "Z", "instantaneous river level", "m", 7, 3);
    public static readonly Sl651ElementDefinition LevelDownstream = new(0x3A, "ZB", "level below station (inlet)", "m", 7, 3);
    public static readonly Sl651ElementDefinition LevelUpstream = new(0x3B, "ZU", "level above station (outlet)", "m", 7, 3);
    public static readonly Sl651ElementDefinition WaterPressure1 = new(0x58, "WP1", "water pressure 1", "kPa", 5, 2);
    public static readonly Sl651ElementDefinition VoltageA = new(0x70, "VTA", "AC phase A voltage", "V", 4, 1);
    public static readonly Sl651ElementDefinition VoltageB = new(0x71, "VTB", "AC phase B voltage", "V", 4, 1);
    public static readonly Sl651ElementDefinition VoltageC = new(0x72, "VTC", "AC phase C voltage", "V", 4, 1);
    public static readonly Sl651ElementDefinition CurrentA = new(0x73, "VIA", "AC phase A current", "A", 4, 1);
    public static readonly Sl651ElementDefinition CurrentB = new(0x74, "VIB", "AC phase B current", "A", 4, 1);
    public static readonly Sl651ElementDefinition CurrentC = new(0x75, "VIC", "AC phase C current", "A", 4, 1);

    /// <summary>ZT: station status and alarm word, 4 bytes HEX (table 58), not BCD.</summary>
    public const byte StatusLeader = 0x45;
    public static readonly Sl651ElementIdentifier Status = new(StatusLeader, 4 << 3);

    public static readonly IReadOnlyList<Sl651ElementDefinition> All =
    [
        RunningHours, UnitsRunning, Rainfall, RainfallTotal, Flow, SupplyVoltage, RiverLevel, LevelDownstream, LevelUpstream,
        WaterPressure1, VoltageA, VoltageB, VoltageC, CurrentA, CurrentB, CurrentC,
    ];

    public static Sl651ElementDefinition? ByCode(string code) => All.FirstOrDefault(e => string.Equals(e.Code, code, StringComparison.OrdinalIgnoreCase));

    public static Sl651ElementDefinition? ByLeader(byte leader) => All.FirstOrDefault(e => e.Leader == leader);
}

/// <summary>Bits of the status and alarm word (table 58); 0 is normal unless said otherwise.</summary>
[Flags]
public enum Sl651StatusBits : uint
{
    None = 0,
    MainsPowerLost = 1 << 0,
    BatteryLow = 1 << 1,
    LevelAlarm = 1 << 2,
    FlowAlarm = 1 << 3,
    QualityAlarm = 1 << 4,
    FlowMeterFault = 1 << 5,
    LevelMeterFault = 1 << 6,

    /// <summary>Set = cabinet door CLOSED (table 58: 0 open, 1 closed).</summary>
    DoorClosed = 1 << 7,
    MemoryFault = 1 << 8,
    IcCardActive = 1 << 9,

    /// <summary>Set = pump STOPPED (table 58: 0 working, 1 stopped).</summary>
    PumpStopped = 1 << 10,
    WaterQuotaExceeded = 1 << 11,
}
