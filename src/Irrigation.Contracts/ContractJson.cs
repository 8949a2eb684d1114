using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Irrigation.Contracts;

/// <summary>How payloads are written: UTF-8 JSON with Chinese names (site, station) left readable, not \u-escaped.</summary>
internal static class ContractJson
{
    public static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One JSON object, written by <paramref name="write"/> between its braces, as a new array.</summary>
    public static byte[] Object(int capacity, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(capacity);
        using (var json = new Utf8JsonWriter(buffer, Writer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void StringOrNull(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
            json.WriteNull(name);
        else
            json.WriteString(name, value);
    }

    /// <summary>
    /// Parses a JSON object of at most <paramref name="maxBytes"/> and hands it to <paramref name="read"/>; false with the
    /// reason for anything else. Never throws: strings that are not UTF-8 are caught when <paramref name="read"/> reads them.
    /// </summary>
    public static bool TryReadObject<T>(ReadOnlySpan<byte> payload, int maxBytes, Func<JsonElement, (T? Value, string? Error)> read, out T? value, out string? error)
        where T : class
    {
        value = null;
        if (payload.Length > maxBytes)
            return Fail(out error, $"payload of {payload.Length} bytes exceeds {maxBytes}");
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return Fail(out error, "payload is not a JSON object");
            (value, error) = read(document.RootElement);
            return value is not null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            value = null;
            return Fail(out error, $"invalid JSON: {ex.Message}");
        }
    }

    public static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool Integer(JsonElement element, string name, out long number)
    {
        number = 0;
        return element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out number);
    }

    public static bool Fail(out string? error, string reason)
    {
        error = reason;
        return false;
    }
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
