using System.Text.Json;

namespace Irrigation.Contracts;

/// <summary>An inclusive range of telemetry sequence numbers, <c>[from, to]</c>.</summary>
public readonly record struct SequenceRange(long From, long To)
{
    public long Count => To - From + 1;
}

/// <summary>
/// The server asks a gateway to publish again, from its history, telemetry the server never stored
/// (<c>{root}/gateways/{gateway}/repair</c>, QoS 1, server only; docs/mqtt.md "Gap repair").
/// </summary>
public sealed record RepairRequestMessage(string Id, string Station, string Epoch, IReadOnlyList<SequenceRange> Ranges, long RequestedAtMs);

/// <summary>
/// The gateway's answer on <c>{root}/gateways/{gateway}/repair/result</c>: how many messages it queued again (marked
/// replayed), and the ranges its history no longer holds — the server records those as data loss, never invents them.
/// <see cref="Reason"/> is set when the whole request was refused (unknown station or epoch, malformed).
/// </summary>
public sealed record RepairResultMessage(string Id, string Station, string Epoch, string Gateway, long Republished, IReadOnlyList<SequenceRange> Missing, string? Reason, long Ts);

/// <summary>Why a gateway refused a whole repair request.</summary>
public static class RepairReasons
{
    /// <summary>The station is not one of this gateway's: nothing to send.</summary>
    public const string UnknownStation = "unknown_station";

    /// <summary>The gateway's sequence stream is another one (it started afresh): the asked-for messages are gone.</summary>
    public const string UnknownEpoch = "unknown_epoch";

    public const string InvalidRequest = "invalid_request";
}

/// <summary>Writes and reads repair requests and results. Reading never throws and never trusts a count.</summary>
public static class RepairPayload
{
    public const int MaxBytes = 16 * 1024;

    /// <summary>At most this many ranges in one request or result.</summary>
    public const int MaxRanges = 256;

    public static byte[] Write(RepairRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ContractJson.Object(256, json =>
        {
            json.WriteNumber("v"u8, 1);
            json.WriteString("id"u8, request.Id);
            json.WriteString("station"u8, request.Station);
            json.WriteString("epoch"u8, request.Epoch);
            WriteRanges(json, "ranges"u8, request.Ranges);
            json.WriteNumber("requestedAt"u8, request.RequestedAtMs);
        });
    }

    public static byte[] Write(RepairResultMessage result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return ContractJson.Object(256, json =>
        {
            json.WriteNumber("v"u8, 1);
            json.WriteString("id"u8, result.Id);
            json.WriteString("station"u8, result.Station);
            json.WriteString("epoch"u8, result.Epoch);
            json.WriteString("gateway"u8, result.Gateway);
            json.WriteNumber("republished"u8, result.Republished);
            WriteRanges(json, "missing"u8, result.Missing);
            ContractJson.StringOrNull(json, "reason"u8, result.Reason);
            json.WriteNumber("ts"u8, result.Ts);
        });
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out RepairRequestMessage? request, out string? error) =>
        ContractJson.TryReadObject(payload, MaxBytes, root =>
        {
            if (!Header(root, out var id, out var station, out var epoch, out var problem))
                return (null, problem);
            if (!TryRanges(root, "ranges", out var ranges, out problem) || ranges.Count == 0)
                return (null, problem ?? "'ranges' must not be empty");
            ContractJson.Integer(root, "requestedAt", out var requestedAt);
            return (new RepairRequestMessage(id, station, epoch, ranges, requestedAt), null);
        }, out request, out error);

    public static bool TryRead(ReadOnlySpan<byte> payload, out RepairResultMessage? result, out string? error) =>
        ContractJson.TryReadObject(payload, MaxBytes, root =>
        {
            if (!Header(root, out var id, out var station, out var epoch, out var problem))
                return (null, problem);
            if (!ContractJson.Integer(root, "republished", out var republished) || republished < 0)
                return (null, "'republished' must be an integer ≥ 0");
            if (!TryRanges(root, "missing", out var missing, out problem))
                return (null, problem);
            ContractJson.Integer(root, "ts", out var ts);
            return (new RepairResultMessage(id, station, epoch, ContractJson.Text(root, "gateway") ?? "", republished, missing, ContractJson.Text(root, "reason"), ts), null);
        }, out result, out error);

    private static bool Header(JsonElement root, out string id, out string station, out string epoch, out string? error)
    {
        id = ContractJson.Text(root, "id") ?? "";
        station = ContractJson.Text(root, "station") ?? "";
        epoch = ContractJson.Text(root, "epoch") ?? "";
        error = null;
        if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != 1)
            error = "'v' must be 1";
        else if (id.Length is 0 or > 64)
            error = "'id' must be 1..64 characters";
        else if (station.Length is 0 or > 64)
            error = "'station' is required";
        else if (!TelemetryEpoch.IsValid(epoch))
            error = $"'epoch' must be 1..{TelemetryEpoch.MaxLength} letters, digits or '-'";
        return error is null;
    }

    private static void WriteRanges(Utf8JsonWriter json, ReadOnlySpan<byte> name, IReadOnlyList<SequenceRange> ranges)
    {
        json.WriteStartArray(name);
        foreach (var range in ranges)
        {
            json.WriteStartArray();
            json.WriteNumberValue(range.From);
            json.WriteNumberValue(range.To);
            json.WriteEndArray();
        }

        json.WriteEndArray();
    }

    private static bool TryRanges(JsonElement root, string name, out List<SequenceRange> ranges, out string? error)
    {
        ranges = [];
        error = null;
        if (!root.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() > MaxRanges)
            return ContractJson.Fail(out error, $"'{name}' must be an array of at most {MaxRanges} [from, to] pairs");
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2
                || !item[0].TryGetInt64(out var from) || !item[1].TryGetInt64(out var to) || from < 1 || to < from)
                return ContractJson.Fail(out error, $"'{name}' must hold [from, to] pairs with 1 ≤ from ≤ to");
            ranges.Add(new SequenceRange(from, to));
        }

        return true;
    }
}
