namespace Irrigation.FirmwareSim.Physics;

/// <summary>Latched protection trips of one pump; a fault stops the pump and stays until reset.</summary>
[Flags]
public enum PumpFault
{
    /// <summary>No trip latched.</summary>
    None = 0,

    /// <summary>Average motor current at or above the trip factor × rated current for the trip delay.</summary>
    OverCurrent = 1,

    /// <summary>A supply phase lost while running, for the trip delay (single-phasing).</summary>
    PhaseLoss = 2,

    /// <summary>Sump level below the dry-run trip level while running, for the trip delay.</summary>
    DryRun = 4,
}
