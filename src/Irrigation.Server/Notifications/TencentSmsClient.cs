using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Notifications;

/// <summary>
/// Tencent Cloud SMS (<c>SendSms</c>, API version 2021-01-11) signed with TC3-HMAC-SHA256 (<see cref="TencentSignature"/>).
/// The template's parameters are positional ({1}…{4}): station, alarm, level, time. Tencent answers HTTP 200 for
/// errors too: an <c>Error</c> object, or a per-number <c>Code</c> other than "Ok" in <c>SendStatusSet</c>.
/// </summary>
public sealed class TencentSmsClient : ISmsProvider, IDisposable
{
    private const string Service = "sms";

    /// <summary>The template's positional parameters {1}…{4}, in order.</summary>
    private static readonly string[] ParameterOrder = ["station", "alarm", "level", "time"];
    private readonly TencentOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;

    public TencentSmsClient(IOptions<NotificationOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Tencent;
        _time = time;
        _http = new HttpClient { Timeout = _options.Timeout };
    }

    public async Task<SendResult> SendSmsAsync(string phone, string templateParamJson, string outId, CancellationToken cancellationToken)
    {
        var parameters = JsonSerializer.Deserialize<Dictionary<string, string>>(templateParamJson) ?? [];
        var payload = JsonSerializer.Serialize(new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["PhoneNumberSet"] = new[] { "+86" + phone },
            ["SmsSdkAppId"] = _options.SmsSdkAppId,
            ["SignName"] = _options.SignName,
            ["TemplateId"] = _options.TemplateId,
            ["TemplateParamSet"] = ParameterOrder.Select(k => parameters.GetValueOrDefault(k, "")).ToArray(),
            ["SessionContext"] = outId,
        });
        var endpoint = new Uri(_options.Endpoint);
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        request.Content = new StringContent(payload, Encoding.UTF8);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(TencentSignature.ContentType);
        request.Headers.TryAddWithoutValidation("Authorization", TencentSignature.Authorization(_options.SecretId, _options.SecretKey, Service, endpoint.Authority, timestamp, payload));
        request.Headers.Add("X-TC-Action", "SendSms");
        request.Headers.Add("X-TC-Version", "2021-01-11");
        request.Headers.Add("X-TC-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-TC-Region", _options.Region);
        string text;
        int status;
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
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

        return Interpret(status, text);
    }

    internal static SendResult Interpret(int status, string text)
    {
        if (status is < 200 or > 299)
            return new SendResult(SendFailure.HttpError, null, null, $"HTTP {status}: {(text.Length > 200 ? text[..200] : text)}");
        try
        {
            using var json = JsonDocument.Parse(text);
            if (!json.RootElement.TryGetProperty("Response", out var response) || response.ValueKind != JsonValueKind.Object)
                return new SendResult(SendFailure.BadAnswer, null, null, "no Response object");
            var requestId = response.TryGetProperty("RequestId", out var r) ? r.GetString() : null;
            if (response.TryGetProperty("Error", out var error))
                return new SendResult(SendFailure.ProviderCode, requestId, null, $"{error.GetProperty("Code").GetString()}: {error.GetProperty("Message").GetString()}");
            var sent = response.GetProperty("SendStatusSet")[0];
            var code = sent.GetProperty("Code").GetString();
            return code == "Ok"
                ? new SendResult(SendFailure.None, requestId, sent.GetProperty("SerialNo").GetString(), null)
                : new SendResult(SendFailure.ProviderCode, requestId, null, $"{code}: {sent.GetProperty("Message").GetString()}");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return new SendResult(SendFailure.BadAnswer, null, null, $"not a provider answer: {(text.Length > 200 ? text[..200] : text)}");
        }
    }

    public void Dispose() => _http.Dispose();
}
