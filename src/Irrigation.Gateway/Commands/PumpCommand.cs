using System.Globalization;
using System.Text.Json;

namespace Irrigation.Gateway.Commands;

public enum PumpAction
{
    Start,
    Stop,
}

/// <summary>A start/stop command as received on {root}/{station}/cmd (schema in docs/mqtt.md).</summary>
public sealed record PumpCommand(string Id, string Station, PumpAction Action, int Pump, string RequestedBy, DateTimeOffset ExpiresAt, DateTimeOffset ReceivedAt);

/// <summary>Final outcomes, as published on {root}/{station}/cmd/result.</summary>
public static class CommandOutcomes
{
    public const string Succeeded = "succeeded";
    public const string Rejected = "rejected";
    public const string Failed = "failed";
    public const string Expired = "expired";
}

/// <summary>Machine-readable reasons that go with rejected/failed outcomes; the server translates them for people.</summary>
public static class CommandReasons
{
    public const string InvalidCommand = "invalid_command";
    public const string UnknownPump = "unknown_pump";
    public const string NoController = "no_controller";
    public const string CommsLost = "comms_lost";
    public const string LocalMode = "local_mode";
    public const string FaultLatched = "fault_latched";
    public const string LowSumpLevel = "low_sump_level";
    public const string MinStartInterval = "min_start_interval";
    public const string NoMains = "no_mains";
    public const string Busy = "busy";
    public const string WriteFailed = "write_failed";
    public const string NoFeedback = "no_feedback";
    public const string AlreadyInState = "already_in_state";
}

/// <summary>Parses command JSON without trusting it: every problem becomes a reason, never an exception.</summary>
public static class PumpCommandParser
{
    public const int MaxPayloadBytes = 4096;

    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>
    /// Returns the command, or null with an error (and the id if one could be read, so the rejection can be
    /// answered on the result topic).
    /// </summary>
    public static PumpCommand? Parse(string station, ReadOnlySpan<byte> payload, DateTimeOffset now, out string? id, out string? error)
    {
        id = null;
        if (payload.Length > MaxPayloadBytes)
        {
            error = $"payload of {payload.Length} bytes exceeds {MaxPayloadBytes}";
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "payload is not a JSON object";
                return null;
            }

            id = root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
            if (string.IsNullOrWhiteSpace(id) || id.Length > 128)
            {
                id = null;
                error = "'id' must be a string of 1..128 characters";
                return null;
            }

            if (!root.TryGetProperty("action", out var actionElement) || actionElement.ValueKind != JsonValueKind.String
                || actionElement.GetString() is not ("start" or "stop"))
            {
                error = "'action' must be \"start\" or \"stop\"";
                return null;
            }

            if (!root.TryGetProperty("pump", out var pumpElement) || pumpElement.ValueKind != JsonValueKind.Number || !pumpElement.TryGetInt32(out var pump) || pump < 1 || pump > 16)
            {
                error = "'pump' must be an integer 1..16";
                return null;
            }

            var requestedBy = root.TryGetProperty("requestedBy", out var by) && by.ValueKind == JsonValueKind.String ? by.GetString()! : "";
            if (!root.TryGetProperty("expiresAt", out var expiresElement) || !TryReadTime(expiresElement, out var expiresAt))
            {
                error = "'expiresAt' must be Unix milliseconds or an ISO-8601 time";
                return null;
            }

            error = null;
            return new PumpCommand(id, station, actionElement.GetString() == "start" ? PumpAction.Start : PumpAction.Stop, pump, requestedBy, expiresAt, now);
        }
        catch (JsonException ex)
        {
            error = $"invalid JSON: {ex.Message}";
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // JsonDocument checks a string's UTF-8 (and escaped surrogates) only when it is read, and throws this.
            error = $"invalid text in JSON: {ex.Message}";
            return null;
        }
    }

    private static bool TryReadTime(JsonElement element, out DateTimeOffset time)
    {
        time = default;
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var ms) && ms > 0 && ms <= MaxUnixMilliseconds)
        {
            time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }

        return element.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }
}
