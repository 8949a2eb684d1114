namespace Irrigation.Dlt645.Framing;

/// <summary>Function codes (D4..D0 of the control code, DL/T 645-2007 §7.1.3) this library speaks.</summary>
public enum Dlt645Function : byte
{
    /// <summary>08H broadcast time sync (recognised, not implemented).</summary>
    BroadcastTimeSync = 0x08,

    /// <summary>11H read data.</summary>
    ReadData = 0x11,

    /// <summary>12H read follow-up data.</summary>
    ReadFollowUp = 0x12,

    /// <summary>13H read communication address.</summary>
    ReadAddress = 0x13,

    /// <summary>14H write data (recognised, not implemented).</summary>
    WriteData = 0x14,
}

/// <summary>
/// The control code C (DL/T 645-2007 §7.1.3):
/// <code>
/// D7 direction: 0 master -> meter, 1 meter -> master
/// D6 1 = abnormal reply (the data is one error byte)
/// D5 1 = follow-up frames exist (read them with 12H)
/// D4..D0 function
/// </code>
/// </summary>
public readonly record struct Dlt645ControlCode(byte Value)
{
    public const byte ReplyFlag = 0x80;
    public const byte AbnormalFlag = 0x40;
    public const byte FollowUpFlag = 0x20;
    public const byte FunctionMask = 0x1F;

    public Dlt645Function Function => (Dlt645Function)(Value & FunctionMask);

    public bool IsReply => (Value & ReplyFlag) != 0;

    public bool IsAbnormal => (Value & AbnormalFlag) != 0;

    public bool HasFollowUp => (Value & FollowUpFlag) != 0;

    public static Dlt645ControlCode Request(Dlt645Function function) => new((byte)function);

    /// <summary>91H, B1H (with follow-up), D1H (abnormal)...</summary>
    public static Dlt645ControlCode Reply(Dlt645Function function, bool abnormal = false, bool followUp = false) =>
        new((byte)((byte)function | ReplyFlag | (abnormal ? AbnormalFlag : 0) | (followUp ? FollowUpFlag : 0)));

    public override string ToString() => $"{Value:X2}H";
}
