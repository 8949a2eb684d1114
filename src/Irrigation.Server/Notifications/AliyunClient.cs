using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Notifications;

/// <summary>Sends one SMS through a provider; the template parameters are the JSON object of <see cref="AlarmEscalation.MessageParameters"/>.</summary>
public interface ISmsProvider
{
    Task<SendResult> SendSmsAsync(string phone, string templateParamJson, string outId, CancellationToken cancellationToken);
}

/// <summary>Why a send failed, as the metrics count it.</summary>
public enum SendFailure
{
    None,
    HttpError,
    ProviderCode,
    Timeout,
    Network,
    BadAnswer,
}

/// <summary>A provider's answer: its request id and message id (BizId of an SMS, CallId of a call), or why it failed.</summary>
public sealed record SendResult(SendFailure Failure, string? RequestId, string? ProviderId, string? Error)
{
    public bool Ok => Failure == SendFailure.None;
}

/// <summary>
/// Alibaba Cloud SMS (dysmsapi <c>SendSms</c>, version 2017-05-25) and voice notification (dyvmsapi
/// <c>SingleCallByTts</c>, version 2017-05-25): RPC-style POST with the parameters form-encoded (a phone number in a
/// URL would land in proxy logs), signed by <see cref="AliyunSignature"/>. A fresh SignatureNonce and the current UTC
/// Timestamp on every request: the provider refuses a nonce it has seen and a timestamp 15 minutes off.
/// </summary>
public sealed class AliyunClient : ISmsProvider, IDisposable
{
    private readonly AliyunOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;

    public AliyunClient(IOptions<NotificationOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Aliyun;
        _time = time;
        _http = new HttpClient { Timeout = _options.Timeout };
    }

    public Task<SendResult> SendSmsAsync(string phone, string templateParamJson, string outId, CancellationToken cancellationToken) =>
        CallAsync(_options.SmsEndpoint, "BizId", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Action"] = "SendSms",
            ["PhoneNumbers"] = phone,
            ["SignName"] = _options.SignName,
            ["TemplateCode"] = _options.SmsTemplateCode,
            ["TemplateParam"] = templateParamJson,
            ["OutId"] = outId,
        }, cancellationToken);

    public Task<SendResult> CallByTtsAsync(string phone, string ttsParamJson, string outId, CancellationToken cancellationToken) =>
        CallAsync(_options.VoiceEndpoint, "CallId", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Action"] = "SingleCallByTts",
            ["CalledShowNumber"] = _options.CalledShowNumber,
            ["CalledNumber"] = phone,
            ["TtsCode"] = _options.VoiceTtsCode,
            ["TtsParam"] = ttsParamJson,
            ["PlayTimes"] = "2",
            ["OutId"] = outId,
        }, cancellationToken);

    /// <summary>The common parameters of every RPC request (the action's own ones added by the caller).</summary>
    internal Dictionary<string, string> Signed(Dictionary<string, string> parameters)
    {
        parameters["AccessKeyId"] = _options.AccessKeyId;
        parameters["Format"] = "JSON";
        parameters["RegionId"] = _options.RegionId;
        parameters["SignatureMethod"] = "HMAC-SHA1";
        parameters["SignatureNonce"] = Guid.NewGuid().ToString();
        parameters["SignatureVersion"] = "1.0";
        parameters["Timestamp"] = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        parameters["Version"] = "2017-05-25";
        parameters["Signature"] = AliyunSignature.Sign("POST", parameters, _options.AccessKeySecret);
        return parameters;
    }

    private async Task<SendResult> CallAsync(string endpoint, string idField, Dictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var body = string.Join('&', Signed(parameters).Select(p => AliyunSignature.PercentEncode(p.Key) + "=" + AliyunSignature.PercentEncode(p.Value)));
        string text;
        int status;
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
            using var response = await _http.PostAsync(new Uri(endpoint), content, cancellationToken);
            status = (int)response.StatusCode;
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(SendFailure.Timeout, null, null, $"no answer within {_options.Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            return new SendResult(SendFailure.Network, null, null, ex.Message);
        }

        return Interpret(status, text, idField);
    }

    /// <summary>The provider answers JSON with Code "OK" on success; anything else (an HTTP error, another Code) is a failure naming both.</summary>
    internal static SendResult Interpret(int status, string text, string idField)
    {
        string? code = null, message = null, requestId = null, id = null;
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            code = Text(root, "Code");
            message = Text(root, "Message");
            requestId = Text(root, "RequestId");
            id = Text(root, idField);
        }
        catch (JsonException)
        {
        }

        if (status is < 200 or > 299)
            return new SendResult(SendFailure.HttpError, requestId, null, $"HTTP {status}{(code is null ? "" : $" {code}: {message}")}{(code is null ? ": " + Truncate(text) : "")}");
        if (code is null)
            return new SendResult(SendFailure.BadAnswer, requestId, null, $"not a provider answer: {Truncate(text)}");
        return code == "OK"
            ? new SendResult(SendFailure.None, requestId, id, null)
            : new SendResult(SendFailure.ProviderCode, requestId, null, $"{code}: {message}");
    }

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Truncate(string text) => text.Length > 200 ? text[..200] : text;

    public void Dispose() => _http.Dispose();
}
