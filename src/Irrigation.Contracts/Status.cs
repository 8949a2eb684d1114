using System.Buffers;
using System.Text.Json;

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
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, ContractJson.Writer))
        {
            json.WriteStartObject();
            json.WriteString("station"u8, status.Station);
            json.WriteString("gateway"u8, status.Gateway);
            json.WriteString("state"u8, Text(status.State));
            json.WriteNumber("since"u8, status.SinceMs);
            json.WriteNumber("ts"u8, status.TimestampMs);
            WriteNullable(json, "meter"u8, status.Meter is { } meter ? ContractText.Of(meter) : null);
            WriteNullable(json, "controller"u8, status.Controller is { } controller ? ContractText.Of(controller) : null);
            WriteNullable(json, "error"u8, status.Error);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Write(GatewayStatusMessage status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var json = new Utf8JsonWriter(buffer, ContractJson.Writer))
        {
            json.WriteStartObject();
            json.WriteString("gateway"u8, status.Gateway);
            json.WriteString("state"u8, Text(status.State));
            if (status.TimestampMs is { } ts)
                json.WriteNumber("ts"u8, ts);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>False with the reason for a payload the schema does not allow. Never throws.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out StationStatusMessage? status, out string? error)
    {
        status = null;
        if (!TryParse(payload, out var root, out error))
            return false;
        using (root)
        {
            var element = root!.RootElement;
            var station = TelemetryPayload.Text(element, "station");
            var gateway = TelemetryPayload.Text(element, "gateway");
            StationLink? state = TelemetryPayload.Text(element, "state") switch { "online" => StationLink.Online, "comms_lost" => StationLink.CommsLost, _ => null };
            if (station is null || state is null)
                return TelemetryPayload.Fail(out error, "'station' and 'state' (online or comms_lost) are required");

            // Lenient where the server can do without: a missing gateway or time reads as "" and 0.
            TelemetryPayload.Integer(element, "since", out var since);
            TelemetryPayload.Integer(element, "ts", out var ts);
            status = new StationStatusMessage(station, gateway ?? "", state.Value, since, ts,
                ContractText.DeviceLinkOf(TelemetryPayload.Text(element, "meter")), ContractText.DeviceLinkOf(TelemetryPayload.Text(element, "controller")), TelemetryPayload.Text(element, "error"));
            return true;
        }
    }

    /// <inheritdoc cref="TryRead(ReadOnlySpan{byte}, out StationStatusMessage?, out string?)"/>
    public static bool TryRead(ReadOnlySpan<byte> payload, out GatewayStatusMessage? status, out string? error)
    {
        status = null;
        if (!TryParse(payload, out var root, out error))
            return false;
        using (root)
        {
            var element = root!.RootElement;
            var gateway = TelemetryPayload.Text(element, "gateway");
            GatewayState? state = TelemetryPayload.Text(element, "state") switch { "online" => GatewayState.Online, "offline" => GatewayState.Offline, _ => null };
            if (gateway is null || state is null)
                return TelemetryPayload.Fail(out error, "'gateway' and 'state' (online or offline) are required");
            status = new GatewayStatusMessage(gateway, state.Value, TelemetryPayload.Integer(element, "ts", out var ts) ? ts : null);
            return true;
        }
    }

    private static bool TryParse(ReadOnlySpan<byte> payload, out JsonDocument? document, out string? error)
    {
        document = null;
        if (payload.Length > MaxBytes)
            return TelemetryPayload.Fail(out error, $"payload of {payload.Length} bytes exceeds {MaxBytes}");
        try
        {
            document = JsonDocument.Parse(payload.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                document = null;
                return TelemetryPayload.Fail(out error, "payload is not a JSON object");
            }

            // Strings are checked for valid UTF-8 only when read: read them all now, inside the try.
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                    _ = property.Value.GetString();
            }

            error = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            document?.Dispose();
            document = null;
            return TelemetryPayload.Fail(out error, $"invalid JSON: {ex.Message}");
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
            json.WriteNull(name);
        else
            json.WriteString(name, value);
    }
}
