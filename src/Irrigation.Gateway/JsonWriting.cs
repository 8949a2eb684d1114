using System.Text.Encodings.Web;
using System.Text.Json;

namespace Irrigation.Gateway;

/// <summary>
/// JSON output settings: UTF-8 text as is (站名 stays readable and short; these payloads never reach HTML
/// unescaped), camelCase names.
/// </summary>
internal static class JsonWriting
{
    public static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
