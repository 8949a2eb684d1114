using Irrigation.Contracts;
using Irrigation.Devices;

namespace Irrigation.Gateway.Polling;

/// <summary>Data quality of one device or a whole station.</summary>
public enum DeviceQuality
{
    /// <summary>Read successfully in this poll.</summary>
    Good,

    /// <summary>The device did not answer (timeout, connection lost, exception response).</summary>
    CommsLost,
}

/// <summary>What one poll of a station produced.</summary>
public sealed record StationReading(DateTimeOffset Timestamp, IReadOnlyList<QuantityValue> Values, DeviceQuality? Meter, DeviceQuality? Controller, string? Error)
{
    /// <summary>Good when every configured device answered, CommsLost when none did.</summary>
    public TelemetryQuality Quality => (Meter, Controller) switch
    {
        (DeviceQuality.CommsLost or null, DeviceQuality.CommsLost or null) => TelemetryQuality.Bad,
        (DeviceQuality.CommsLost, _) or (_, DeviceQuality.CommsLost) => TelemetryQuality.Partial,
        _ => TelemetryQuality.Good,
    };

    public bool AnyGood => Meter == DeviceQuality.Good || Controller == DeviceQuality.Good;
}
