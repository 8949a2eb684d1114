using System.Text.Json.Serialization;

namespace Irrigation.Server.State;

/// <summary>
/// A station as the server knows it: the gateway's retained status (online, comms_lost) unless the gateway itself is
/// offline; unknown before either was heard. Sent as its snake_case name ("comms_lost").
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<StationStatus>))]
public enum StationStatus
{
    [JsonStringEnumMemberName("unknown")]
    Unknown,

    [JsonStringEnumMemberName("online")]
    Online,

    /// <summary>The gateway is up but gets no answer from the station's devices.</summary>
    [JsonStringEnumMemberName("comms_lost")]
    CommsLost,

    /// <summary>The station's gateway is offline (its Last Will).</summary>
    [JsonStringEnumMemberName("offline")]
    Offline,
}

public static class StationStatusText
{
    /// <summary>The name as sent and stored ("comms_lost"), for logs and InfluxDB tags.</summary>
    public static string Text(this StationStatus status) => status switch
    {
        StationStatus.Online => "online",
        StationStatus.CommsLost => "comms_lost",
        StationStatus.Offline => "offline",
        _ => "unknown",
    };
}
