using Irrigation.Modbus.Pdu;

namespace Irrigation.FirmwareSim.Stations;

/// <summary>
/// Communication faults injected into one simulated station at run time (command line or control endpoint).
/// Physical faults (mains loss, phase loss, overload, low level) live in the physics model instead.
/// </summary>
public sealed record StationFaults
{
    public static readonly StationFaults None = new();

    /// <summary>Close open connections and refuse new ones (a dead DTU, a pulled cable).</summary>
    public bool Drop { get; init; }

    /// <summary>Delay every answer (a slow cellular link); 0 = none.</summary>
    public int DelayMs { get; init; }

    /// <summary>Answer every request with this Modbus exception; None = answer normally.</summary>
    public ModbusExceptionCode Exception { get; init; }

    /// <summary>Stop refreshing registers: values and feedback stay as they were (a hung meter or PLC).</summary>
    public bool Freeze { get; init; }

    /// <summary>Serve the meter's 32-bit values with their words swapped (a misconfigured serial server).</summary>
    public bool FlipWordOrder { get; init; }

    /// <summary>Parses "drop", "delay=800", "exception=4", "freeze", "flip-word-order", joined by '+'.</summary>
    public static StationFaults Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var faults = new StationFaults();
        foreach (var part in text.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = part.Split('=', 2) is [var n, var v] ? (n, v) : (part, null);
            faults = name switch
            {
                "drop" => faults with { Drop = true },
                "freeze" => faults with { Freeze = true },
                "flip-word-order" => faults with { FlipWordOrder = true },
                "delay" when int.TryParse(value, out var ms) && ms is >= 0 and <= 60_000 => faults with { DelayMs = ms },
                "exception" when byte.TryParse(value, out var code) && code is >= 1 and <= 0x0B => faults with { Exception = (ModbusExceptionCode)code },
                _ => throw new FormatException($"Unknown fault '{part}'. Use drop, freeze, flip-word-order, delay=MS (0..60000) or exception=CODE (1..11), joined by '+'."),
            };
        }

        return faults;
    }
}
