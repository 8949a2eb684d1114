using System.Text.Encodings.Web;
using System.Text.Json;

namespace Irrigation.Contracts;

/// <summary>How payloads are written: UTF-8 JSON with Chinese names (site, station) left readable, not \u-escaped.</summary>
internal static class ContractJson
{
    public static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonReaderOptions Reader = new() { MaxDepth = 8 };
}

/// <summary>The link state of one device at the station, as telemetry and status carry it.</summary>
public enum DeviceLink
{
    Good,
    CommsLost,
}

internal static class ContractText
{
    public static string Of(DeviceLink link) => link == DeviceLink.Good ? "good" : "comms_lost";

    public static DeviceLink? DeviceLinkOf(string? text) => text switch
    {
        "good" => DeviceLink.Good,
        "comms_lost" => DeviceLink.CommsLost,
        _ => null,
    };
}
