namespace Irrigation.FirmwareSim.Physics;

/// <summary>What the station did with a start, stop or reset command.</summary>
public enum CommandOutcome
{
    /// <summary>The command acted.</summary>
    Accepted,

    /// <summary>A remote command while the selector is on local.</summary>
    RefusedLocalMode,

    /// <summary>A start while a trip is latched; reset first.</summary>
    RefusedFaultLatched,

    /// <summary>A start without mains power.</summary>
    RefusedNoMains,

    /// <summary>Nothing to do: start of a running pump, stop of a stopped one, reset with nothing latched.</summary>
    AlreadyInState,

    /// <summary>A cabinet (local) command while the selector is on remote.</summary>
    RefusedRemoteMode,
}
