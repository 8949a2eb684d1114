namespace Irrigation.Server.Ingestion;

/// <summary>Why a telemetry message (or one of its values) was not stored. Counted per reason, logged with a sample.</summary>
public enum DropReason
{
    /// <summary>Not JSON, or not a JSON object.</summary>
    InvalidJson,

    /// <summary>No "station", or it disagrees with the topic.</summary>
    BadStation,

    /// <summary>The station is not in the server's station list.</summary>
    UnknownStation,

    /// <summary>No usable "ts".</summary>
    MissingTimestamp,

    /// <summary>A header field of the wrong type ("seq" not an integer, "values" not an object...): the message is dropped.</summary>
    WrongType,

    /// <summary>One value of the wrong type or not finite: that value is dropped, the rest of the message kept.</summary>
    BadValue,

    /// <summary>Payload larger than the limit.</summary>
    TooLarge,

    /// <summary>Unsupported payload version "v".</summary>
    UnsupportedVersion,
}
