namespace Irrigation.Contracts;

/// <summary>Whether the gateway reaches the station's devices.</summary>
public enum StationLink
{
    Online,
    CommsLost,
}

/// <summary>Whether the gateway is connected (its retained status; <see cref="Offline"/> is also its Last Will).</summary>
public enum GatewayState
{
    Online,
    Offline,
}

/// <summary>Retained on <c>{root}/{station}/status</c> (docs/schemas/status.schema.json).</summary>
public sealed record StationStatusMessage(string Station, string Gateway, StationLink State, long SinceMs, long TimestampMs, DeviceLink? Meter, DeviceLink? Controller, string? Error);

/// <summary>Retained on <c>{root}/gateways/{gateway}/status</c> (docs/schemas/gateway-status.schema.json). The Will has no time.</summary>
public sealed record GatewayStatusMessage(string Gateway, GatewayState State, long? TimestampMs);

/// <summary>Writes and reads the two status payloads.</summary>
public static class StatusPayload
{
    public const int MaxBytes = 4096;

    public static string Text(StationLink state) => state == StationLink.Online ? "online" : "comms_lost";

    public static string Text(GatewayState state) => state == GatewayState.Online ? "online" : "offline";

    public static byte[] Write(StationStatusMessage status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return ContractJson.Object(256, json =>
        {
            json.WriteString("station"u8, status.Station);
            json.WriteString("gateway"u8, status.Gateway);
            json.WriteString("state"u8, Text(status.State));
            json.WriteNumber("since"u8, status.SinceMs);
            json.WriteNumber("ts"u8, status.TimestampMs);
            ContractJson.StringOrNull(json, "meter"u8, status.Meter is { } meter ? ContractText.Of(meter) : null);
            ContractJson.StringOrNull(json, "controller"u8, status.Controller is { } controller ? ContractText.Of(controller) : null);
            ContractJson.StringOrNull(json, "error"u8, status.Error);
        });
    }

    public static byte[] Write(GatewayStatusMessage status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return ContractJson.Object(96, json =>
        {
            json.WriteString("gateway"u8, status.Gateway);
            json.WriteString("state"u8, Text(status.State));
            if (status.TimestampMs is { } ts)
                json.WriteNumber("ts"u8, ts);
        });
    }

    /// <summary>
    /// False with the reason for a payload without a station or a known state. Never throws. Lenient where the server can
    /// do without: a missing gateway or time reads as "" and 0.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out StationStatusMessage? status, out string? error) =>
        ContractJson.TryReadObject(payload, MaxBytes, element =>
        {
            var station = ContractJson.Text(element, "station");
            StationLink? state = ContractJson.Text(element, "state") switch { "online" => StationLink.Online, "comms_lost" => StationLink.CommsLost, _ => null };
            if (station is null || state is null)
                return (null, "'station' and 'state' (online or comms_lost) are required");
            ContractJson.Integer(element, "since", out var since);
            ContractJson.Integer(element, "ts", out var ts);
            return (new StationStatusMessage(station, ContractJson.Text(element, "gateway") ?? "", state.Value, since, ts,
                ContractText.DeviceLinkOf(ContractJson.Text(element, "meter")), ContractText.DeviceLinkOf(ContractJson.Text(element, "controller")), ContractJson.Text(element, "error")), null);
        }, out status, out error);

    /// <summary>False with the reason for a payload without a gateway or a known state. Never throws.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out GatewayStatusMessage? status, out string? error) =>
        ContractJson.TryReadObject(payload, MaxBytes, element =>
        {
            var gateway = ContractJson.Text(element, "gateway");
            GatewayState? state = ContractJson.Text(element, "state") switch { "online" => GatewayState.Online, "offline" => GatewayState.Offline, _ => null };
            return gateway is null || state is null
                ? (null, "'gateway' and 'state' (online or offline) are required")
                : (new GatewayStatusMessage(gateway, state.Value, ContractJson.Integer(element, "ts", out var ts) ? ts : null), (string?)null);
        }, out status, out error);
}
