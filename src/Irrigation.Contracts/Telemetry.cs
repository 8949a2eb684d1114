using System.Buffers;
using System.Text.Json;

namespace Irrigation.Contracts;

/// <summary>A full snapshot of every value, or only the values that moved since the last message.</summary>
public enum TelemetryKind
{
    Snapshot,
    Change,
}

/// <summary>Good when every configured device answered, Partial when some did, Bad when none did.</summary>
public enum TelemetryQuality
{
    Good,
    Partial,
    Bad,
}

/// <summary>
/// The fields of a telemetry message (docs/schemas/telemetry.schema.json) other than its values. <see cref="Epoch"/>
/// names the sequence stream: a gateway makes a new one when it starts without its data directory (so numbering
/// starts again at 1), and the server tracks completeness per station and epoch.
/// </summary>
public readonly record struct TelemetryHeader(
    string Station,
    string? Site,
    string Gateway,
    long Sequence,
    long TimestampMs,
    TelemetryKind Kind,
    bool Replayed,
    TelemetryQuality Quality,
    DeviceLink? Meter,
    DeviceLink? Controller)
{
    public string? Epoch { get; init; }
}

/// <summary>One value: its key (<c>voltage_a</c>, or <see cref="PumpKeys"/> <c>pump2.running</c>), number and unit.</summary>
public readonly record struct TelemetryValue(string Key, double Value, string Unit);

/// <summary>
/// Writes and reads <c>{root}/{station}/telemetry</c> payloads. The gateway and the load generator write with
/// <see cref="Write"/>; the server's ingestion reads the same fields without allocating, straight into line protocol
/// (<c>TelemetryDecoder</c>), and everything else (tests, tools) reads with <see cref="TryRead"/>.
/// </summary>
public static class TelemetryPayload
{
    public const int Version = 1;

    /// <summary>Larger payloads are dropped by the server (counted as too large).</summary>
    public const int MaxBytes = 64 * 1024;

    public static void Write(IBufferWriter<byte> output, in TelemetryHeader header, ReadOnlySpan<TelemetryValue> values)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var json = new Utf8JsonWriter(output, ContractJson.Writer);
        json.WriteStartObject();
        json.WriteNumber("v"u8, Version);
        json.WriteString("station"u8, header.Station);
        if (header.Site is not null)
            json.WriteString("site"u8, header.Site);
        json.WriteString("gateway"u8, header.Gateway);
        json.WriteNumber("seq"u8, header.Sequence);
        if (header.Epoch is not null)
            json.WriteString("epoch"u8, header.Epoch);
        json.WriteNumber("ts"u8, header.TimestampMs);
        json.WriteString("kind"u8, header.Kind == TelemetryKind.Snapshot ? "snapshot"u8 : "change"u8);
        json.WriteBoolean("replayed"u8, header.Replayed);
        json.WriteString("quality"u8, QualityText(header.Quality));
        json.WriteStartObject("devices"u8);
        if (header.Meter is { } meter)
            json.WriteString("meter"u8, ContractText.Of(meter));
        if (header.Controller is { } controller)
            json.WriteString("controller"u8, ContractText.Of(controller));
        json.WriteEndObject();
        json.WriteStartObject("values"u8);
        foreach (var value in values)
        {
            json.WriteStartObject(value.Key);
            json.WriteNumber("v"u8, value.Value);
            json.WriteString("u"u8, value.Unit);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string QualityText(TelemetryQuality quality) => quality switch
    {
        TelemetryQuality.Good => "good",
        TelemetryQuality.Partial => "partial",
        _ => "bad",
    };

    /// <summary>Reads a whole message; false with the reason for anything the schema does not allow. Never throws.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out TelemetryHeader header, out IReadOnlyList<TelemetryValue> values, out string? error)
    {
        header = default;
        values = [];
        if (payload.Length > MaxBytes)
            return ContractJson.Fail(out error, $"payload of {payload.Length} bytes exceeds {MaxBytes}");
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return ContractJson.Fail(out error, "payload is not a JSON object");
            if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != Version)
                return ContractJson.Fail(out error, $"'v' must be {Version}");
            if (ContractJson.Text(root, "station") is not { Length: > 0 } station)
                return ContractJson.Fail(out error, "'station' is required");
            if (ContractJson.Text(root, "gateway") is not { } gateway)
                return ContractJson.Fail(out error, "'gateway' is required");
            if (!ContractJson.Integer(root, "seq", out var seq) || seq < 1)
                return ContractJson.Fail(out error, "'seq' must be an integer ≥ 1");
            if (!ContractJson.Integer(root, "ts", out var ts) || ts < 0)
                return ContractJson.Fail(out error, "'ts' must be Unix milliseconds");
            TelemetryKind? kind = ContractJson.Text(root, "kind") switch { "snapshot" => TelemetryKind.Snapshot, "change" => TelemetryKind.Change, _ => null };
            if (kind is null)
                return ContractJson.Fail(out error, "'kind' must be snapshot or change");
            if (!root.TryGetProperty("replayed", out var replayed) || replayed.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return ContractJson.Fail(out error, "'replayed' must be true or false");
            TelemetryQuality? quality = ContractJson.Text(root, "quality") switch { "good" => TelemetryQuality.Good, "partial" => TelemetryQuality.Partial, "bad" => TelemetryQuality.Bad, _ => null };
            if (quality is null)
                return ContractJson.Fail(out error, "'quality' must be good, partial or bad");
            DeviceLink? meter = null, controller = null;
            if (root.TryGetProperty("devices", out var devices) && devices.ValueKind == JsonValueKind.Object)
            {
                meter = ContractText.DeviceLinkOf(ContractJson.Text(devices, "meter"));
                controller = ContractText.DeviceLinkOf(ContractJson.Text(devices, "controller"));
            }

            if (!root.TryGetProperty("values", out var valuesElement) || valuesElement.ValueKind != JsonValueKind.Object)
                return ContractJson.Fail(out error, "'values' must be an object");
            var list = new List<TelemetryValue>();
            foreach (var property in valuesElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Object || !property.Value.TryGetProperty("v", out var number) || number.ValueKind != JsonValueKind.Number)
                    return ContractJson.Fail(out error, $"value '{property.Name}' must be {{\"v\": number, \"u\": unit}}");
                list.Add(new TelemetryValue(property.Name, number.GetDouble(), ContractJson.Text(property.Value, "u") ?? ""));
            }

            var epoch = ContractJson.Text(root, "epoch");
            if (root.TryGetProperty("epoch", out _) && (epoch is null || !TelemetryEpoch.IsValid(epoch)))
                return ContractJson.Fail(out error, $"'epoch' must be 1..{TelemetryEpoch.MaxLength} letters, digits or '-'");
            header = new TelemetryHeader(station, ContractJson.Text(root, "site"), gateway, seq, ts, kind.Value, replayed.ValueKind == JsonValueKind.True, quality.Value, meter, controller)
            {
                Epoch = epoch,
            };
            values = list;
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return ContractJson.Fail(out error, $"invalid JSON: {ex.Message}");
        }
    }
}

/// <summary>The sequence stream a telemetry message belongs to: short text, safe as a tag and a file name.</summary>
public static class TelemetryEpoch
{
    public const int MaxLength = 32;

    public static bool IsValid(ReadOnlySpan<char> epoch)
    {
        if (epoch.Length is 0 or > MaxLength)
            return false;
        foreach (var c in epoch)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                return false;
        }

        return true;
    }

    public static bool IsValid(ReadOnlySpan<byte> epoch)
    {
        if (epoch.Length is 0 or > MaxLength)
            return false;
        foreach (var b in epoch)
        {
            if (!char.IsAsciiLetterOrDigit((char)b) && b != (byte)'-')
                return false;
        }

        return true;
    }

    /// <summary>A new random epoch: 16 lower-case hex digits.</summary>
    public static string New() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}
