namespace Irrigation.Dlt645.Framing;

/// <summary>
/// One DL/T 645 frame as plain data: address, control code and the data field <em>as meant</em>, i.e. with the
/// +33H of the wire already removed. The formatter adds and removes the 33H; nothing else sees it.
/// </summary>
public sealed class Dlt645Frame
{
    /// <summary>L is one byte (§7.1.4); the standard further limits read replies to 200 and writes to 50.</summary>
    public const int MaxDataLength = 255;

    public Dlt645Frame(Dlt645Address address, Dlt645ControlCode control, ReadOnlyMemory<byte> data)
    {
        if (data.Length > MaxDataLength)
            throw new ArgumentOutOfRangeException(nameof(data), data.Length, $"The data field holds at most {MaxDataLength} bytes.");
        Address = address;
        Control = control;
        Data = data;
    }

    public Dlt645Address Address { get; }

    public Dlt645ControlCode Control { get; }

    /// <summary>The data field without the wire's +33H.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public override string ToString() => $"{Address} C={Control} L={Data.Length}";
}
