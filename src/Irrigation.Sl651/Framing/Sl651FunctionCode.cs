namespace Irrigation.Sl651.Framing;

/// <summary>
/// Function codes (SL 651-2014 appendix B, table B.1). Only the ones this library builds or reads are named; the
/// frame carries any byte.
/// </summary>
public enum Sl651FunctionCode : byte
{
    /// <summary>Link keep-alive (§6.6.4.2): serial and send time only, no down frame.</summary>
    KeepAlive = 0x2F,

    /// <summary>Test report (§6.6.4.3).</summary>
    Test = 0x30,

    /// <summary>Uniform-interval report (§6.6.4.4). Not built.</summary>
    UniformInterval = 0x31,

    /// <summary>Timed report (§6.6.4.5), also the station's "safe" report with supply voltage and alarms.</summary>
    Timed = 0x32,

    /// <summary>Additional report (§6.6.4.6): an element crossed its threshold, or an event.</summary>
    Additional = 0x33,

    /// <summary>Hourly report (§6.6.4.7): 5-minute series of rain and level. Not built (pump stations report no series).</summary>
    Hourly = 0x34,

    /// <summary>Manual-entry report (§6.6.4.8). Not built.</summary>
    ManualEntry = 0x35,

    /// <summary>Centre queries real-time data (§6.6.4.10).</summary>
    QueryRealTime = 0x37,

    /// <summary>Pump/motor real-time data (§6.6.4.18): three-phase voltages and currents.</summary>
    PumpRealTime = 0x44,

    /// <summary>Station status and alarm word (§6.6.4.20, table 58).</summary>
    QueryStatus = 0x46,

    /// <summary>Pump switch command down / pump state self-report or reply up (§6.6.4.26, tables 71-73).</summary>
    PumpSwitch = 0x4C,
}
