using System.Globalization;
using System.Text.Json;

namespace Irrigation.Contracts;

public enum PumpAction
{
    Start,
    Stop,
}

/// <summary>
/// A start/stop command on <c>{root}/{station}/cmd</c> (docs/schemas/command.schema.json), published by the server only.
/// Signed commands carry when they were issued, which of the gateway's keys signed them, and the HMAC
/// (<see cref="CommandSignature"/>); a gateway with keys acts on nothing else.
/// </summary>
public sealed record CommandMessage(string Id, PumpAction Action, int Pump, string RequestedBy, DateTimeOffset ExpiresAt)
{
    public DateTimeOffset? IssuedAt { get; init; }

    public string? KeyId { get; init; }

    /// <summary>HMAC-SHA256 over <see cref="CommandSignature.Canonical"/>, base64url without padding.</summary>
    public string? Signature { get; init; }
}

/// <summary>The final outcome of a command, published by the gateway on <c>{root}/{station}/cmd/result</c> (docs/schemas/command-result.schema.json).</summary>
public sealed record CommandResultMessage(string Id, string Station, int Pump, string Action, string Outcome, string? Reason, string? Detail, string RequestedBy, long Ts, string Gateway)
{
    /// <summary><see cref="CommandOrigins.Operator"/> (not written) or <see cref="CommandOrigins.Schedule"/>: a plan's run, with <see cref="Schedule"/>.</summary>
    public string Origin { get; init; } = CommandOrigins.Operator;

    public ScheduleInfo? Schedule { get; init; }
}

/// <summary>Final outcomes of a command.</summary>
public static class CommandOutcomes
{
    public const string Succeeded = "succeeded";
    public const string Rejected = "rejected";
    public const string Failed = "failed";
    public const string Expired = "expired";

    /// <summary>A scheduled run that was not executed at all (clock untrusted, operator stop, gateway down); never an operator's command.</summary>
    public const string Missed = "missed";
}

/// <summary>Machine-readable reasons that go with rejected/failed outcomes; the server and the app translate them for people.</summary>
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

    /// <summary>Unsigned, signed with an unknown key, or a signature that does not match: forged or altered.</summary>
    public const string BadSignature = "bad_signature";
}

/// <summary>Writes commands (server) and parses them without trusting them (gateway): every problem is a reason, never an exception.</summary>
public static class CommandPayload
{
    public const int MaxBytes = 4096;
    public const int MaxPump = 16;
    public const int MaxIdLength = 128;

    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public static string Text(PumpAction action) => action == PumpAction.Start ? "start" : "stop";

    public static byte[] Write(CommandMessage command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ContractJson.Object(192, json =>
        {
            json.WriteString("id"u8, command.Id);
            json.WriteString("action"u8, Text(command.Action));
            json.WriteNumber("pump"u8, command.Pump);
            json.WriteString("requestedBy"u8, command.RequestedBy);
            json.WriteNumber("expiresAt"u8, command.ExpiresAt.ToUnixTimeMilliseconds());
            if (command.IssuedAt is { } issued)
                json.WriteNumber("issuedAt"u8, issued.ToUnixTimeMilliseconds());
            if (command.KeyId is not null)
                json.WriteString("keyId"u8, command.KeyId);
            if (command.Signature is not null)
                json.WriteString("sig"u8, command.Signature);
        });
    }

    /// <summary>
    /// Returns the command, or null with an error (and the id if one could be read, so the rejection can be answered on
    /// the result topic). <c>expiresAt</c> may be Unix milliseconds or an ISO-8601 time.
    /// </summary>
    public static CommandMessage? Parse(ReadOnlySpan<byte> payload, out string? id, out string? error)
    {
        id = null;
        if (payload.Length > MaxBytes)
        {
            error = $"payload of {payload.Length} bytes exceeds {MaxBytes}";
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
            if (string.IsNullOrWhiteSpace(id) || id.Length > MaxIdLength)
            {
                id = null;
                error = $"'id' must be a string of 1..{MaxIdLength} characters";
                return null;
            }

            if (!root.TryGetProperty("action", out var actionElement) || actionElement.ValueKind != JsonValueKind.String
                || actionElement.GetString() is not ("start" or "stop"))
            {
                error = "'action' must be \"start\" or \"stop\"";
                return null;
            }

            if (!root.TryGetProperty("pump", out var pumpElement) || pumpElement.ValueKind != JsonValueKind.Number || !pumpElement.TryGetInt32(out var pump) || pump < 1 || pump > MaxPump)
            {
                error = $"'pump' must be an integer 1..{MaxPump}";
                return null;
            }

            var requestedBy = root.TryGetProperty("requestedBy", out var by) && by.ValueKind == JsonValueKind.String ? by.GetString()! : "";
            if (!root.TryGetProperty("expiresAt", out var expiresElement) || !TryReadTime(expiresElement, out var expiresAt))
            {
                error = "'expiresAt' must be Unix milliseconds or an ISO-8601 time";
                return null;
            }

            DateTimeOffset? issuedAt = null;
            if (root.TryGetProperty("issuedAt", out var issuedElement))
            {
                if (!TryReadTime(issuedElement, out var issued))
                {
                    error = "'issuedAt' must be Unix milliseconds or an ISO-8601 time";
                    return null;
                }

                issuedAt = issued;
            }

            var keyId = OptionalString(root, "keyId", 64, out var keyError);
            var signature = OptionalString(root, "sig", 128, out var signatureError);
            if ((keyError ?? signatureError) is { } bad)
            {
                error = bad;
                return null;
            }

            error = null;
            return new CommandMessage(id, actionElement.GetString() == "start" ? PumpAction.Start : PumpAction.Stop, pump, requestedBy, expiresAt)
            {
                IssuedAt = issuedAt,
                KeyId = keyId,
                Signature = signature,
            };
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

    private static string? OptionalString(JsonElement root, string name, int maxLength, out string? error)
    {
        error = null;
        if (!root.TryGetProperty(name, out var element))
            return null;
        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 } text || text.Length > maxLength)
        {
            error = $"'{name}' must be a string of 1..{maxLength} characters";
            return null;
        }

        return text;
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

/// <summary>Writes results (gateway) and reads them (server).</summary>
public static class CommandResultPayload
{
    public const int MaxBytes = 8192;

    public static byte[] Write(CommandResultMessage result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return ContractJson.Object(256, json =>
        {
            json.WriteString("id"u8, result.Id);
            json.WriteString("station"u8, result.Station);
            json.WriteNumber("pump"u8, result.Pump);
            json.WriteString("action"u8, result.Action);
            json.WriteString("outcome"u8, result.Outcome);
            ContractJson.StringOrNull(json, "reason"u8, result.Reason);
            ContractJson.StringOrNull(json, "detail"u8, result.Detail);
            json.WriteString("requestedBy"u8, result.RequestedBy);
            json.WriteNumber("ts"u8, result.Ts);
            json.WriteString("gateway"u8, result.Gateway);
            if (result.Origin != CommandOrigins.Operator)
                json.WriteString("origin"u8, result.Origin);
            if (result.Schedule is { } schedule)
            {
                json.WriteString("plan"u8, schedule.Plan);
                json.WriteNumber("planVersion"u8, schedule.PlanVersion);
                json.WriteString("run"u8, schedule.RunId);
                json.WriteNumber("plannedAt"u8, schedule.PlannedAtMs);
            }
        });
    }

    /// <summary>False with the reason when the id or a known outcome is missing. Never throws.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out CommandResultMessage? result, out string? error) =>
        ContractJson.TryReadObject(payload, MaxBytes, root =>
        {
            var id = ContractJson.Text(root, "id");
            var outcome = ContractJson.Text(root, "outcome");
            if (string.IsNullOrEmpty(id))
                return (null, "'id' is required");
            var origin = ContractJson.Text(root, "origin") ?? CommandOrigins.Operator;
            if (origin is not (CommandOrigins.Operator or CommandOrigins.Schedule))
                return (null, "'origin' must be operator or schedule");
            if (outcome is not (CommandOutcomes.Succeeded or CommandOutcomes.Rejected or CommandOutcomes.Failed or CommandOutcomes.Expired)
                && !(outcome == CommandOutcomes.Missed && origin == CommandOrigins.Schedule))
                return (null, "'outcome' must be succeeded, rejected, failed or expired (or missed, for a scheduled run)");
            ContractJson.Integer(root, "ts", out var ts);
            var pump = root.TryGetProperty("pump", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var n) ? n : 0;
            ScheduleInfo? schedule = null;
            if (origin == CommandOrigins.Schedule)
            {
                var plan = ContractJson.Text(root, "plan");
                var run = ContractJson.Text(root, "run");
                if (string.IsNullOrEmpty(plan) || string.IsNullOrEmpty(run) || run.Length > 128)
                    return (null, "a scheduled run's result needs 'plan' and 'run'");
                ContractJson.Integer(root, "planVersion", out var version);
                ContractJson.Integer(root, "plannedAt", out var planned);
                schedule = new ScheduleInfo(plan, version, run, planned);
            }

            return (new CommandResultMessage(id, ContractJson.Text(root, "station") ?? "", pump, ContractJson.Text(root, "action") ?? "", outcome,
                ContractJson.Text(root, "reason"), ContractJson.Text(root, "detail"), ContractJson.Text(root, "requestedBy") ?? "", ts, ContractJson.Text(root, "gateway") ?? "")
            {
                Origin = origin,
                Schedule = schedule,
            }, (string?)null);
        }, out result, out error);
}
