using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Values;

namespace Irrigation.Dlt645.Messages;

/// <summary>
/// The error byte ERR of an abnormal reply (DL/T 645-2007 §7.4, table of 错误信息字): one bit per reason.
/// </summary>
[Flags]
public enum Dlt645ErrorFlags : byte
{
    None = 0,

    /// <summary>Bit 0: other error.</summary>
    Other = 0x01,

    /// <summary>Bit 1: no requested data (the meter does not have this identifier).</summary>
    NoRequestedData = 0x02,

    /// <summary>Bit 2: wrong password or not authorised.</summary>
    Unauthorized = 0x04,

    /// <summary>Bit 3: the baud rate cannot be changed.</summary>
    BaudRateUnchangeable = 0x08,

    /// <summary>Bit 4: too many annual time zones.</summary>
    TooManyYearZones = 0x10,

    /// <summary>Bit 5: too many daily periods.</summary>
    TooManyDayPeriods = 0x20,

    /// <summary>Bit 6: too many tariffs.</summary>
    TooManyTariffs = 0x40,
}

/// <summary>A command from the master (D7 = 0).</summary>
public abstract record Dlt645Request(Dlt645Address Address);

/// <summary>
/// 11H read data: DI0..DI3, optionally followed by the load-record parameters (N, or N and a time) that this library
/// passes through unread.
/// </summary>
public sealed record ReadDataRequest(Dlt645Address Address, Dlt645DataIdentifier Identifier) : Dlt645Request(Address)
{
    public ReadOnlyMemory<byte> Parameters { get; init; }
}

/// <summary>12H read follow-up data: DI0..DI3 and SEQ, the number of the follow-up frame wanted (1, 2...).</summary>
public sealed record ReadFollowUpRequest(Dlt645Address Address, Dlt645DataIdentifier Identifier, byte Sequence) : Dlt645Request(Address);

/// <summary>13H read communication address, always sent to AA AA AA AA AA AA and no data (L = 0).</summary>
public sealed record ReadAddressRequest() : Dlt645Request(Dlt645Address.Wildcard);

/// <summary>A reply from a meter (D7 = 1).</summary>
public abstract record Dlt645Reply(Dlt645Address Address);

/// <summary>91H (or B1H when follow-up frames exist): DI0..DI3 then the value bytes.</summary>
public sealed record ReadDataReply(Dlt645Address Address, Dlt645DataIdentifier Identifier, ReadOnlyMemory<byte> Value, bool HasFollowUp = false) : Dlt645Reply(Address);

/// <summary>92H (or B2H when more follow): DI0..DI3, the value bytes, then SEQ.</summary>
public sealed record ReadFollowUpReply(Dlt645Address Address, Dlt645DataIdentifier Identifier, ReadOnlyMemory<byte> Value, byte Sequence, bool HasFollowUp = false) : Dlt645Reply(Address);

/// <summary>93H: the meter's own address, in the address field and again as the data.</summary>
public sealed record ReadAddressReply(Dlt645Address Address) : Dlt645Reply(Address);

/// <summary>D1H, D2H...: the command failed; one error byte says why.</summary>
public sealed record AbnormalReply(Dlt645Address Address, Dlt645Function Function, Dlt645ErrorFlags Error) : Dlt645Reply(Address);
