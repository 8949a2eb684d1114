using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Irrigation.Testing;

/// <summary>An SMS the stand-in accepted (dysmsapi SendSms).</summary>
public sealed record AcceptedSms(string PhoneNumbers, string SignName, string TemplateCode, string TemplateParam, string OutId, string BizId, string RequestId, DateTimeOffset At);

/// <summary>A voice call the stand-in accepted (dyvmsapi SingleCallByTts).</summary>
public sealed record AcceptedCall(string CalledNumber, string CalledShowNumber, string TtsCode, string TtsParam, string OutId, string CallId, string RequestId, DateTimeOffset At);

/// <summary>A request the stand-in refused, with the provider's error Code.</summary>
public sealed record RefusedRequest(string Action, string Code, int HttpStatus);

/// <summary>
/// A local stand-in for Alibaba Cloud's SMS and voice APIs on 127.0.0.1: it checks each request the way the provider
/// does — the signature recomputed from the received parameters with the known AccessKeySecret (RPC signature
/// version 1.0, written here independently of the server's signer), the Timestamp within 15 minutes, a SignatureNonce
/// never seen before — answers with the provider's JSON (Code, Message, RequestId, BizId or CallId; errors as
/// RequestId, HostId, Code, Message), and records every SMS and call it accepted. It can be told to refuse the next
/// requests with a business Code or an HTTP status, as the real provider does under rate limits or outages.
/// </summary>
public sealed class AliyunStandIn : LoopbackHttpStandIn
{
    private readonly ConcurrentDictionary<string, bool> _nonces = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string? Code, int Status)> _failures = new();

    public AliyunStandIn(string accessKeyId = "LTAI-test-key", string accessKeySecret = "stand-in-secret")
    {
        AccessKeyId = accessKeyId;
        AccessKeySecret = accessKeySecret;
    }

    public string AccessKeyId { get; }

    public string AccessKeySecret { get; }

    public ConcurrentQueue<AcceptedSms> Sms { get; } = new();

    public ConcurrentQueue<AcceptedCall> Calls { get; } = new();

    public ConcurrentQueue<RefusedRequest> Refused { get; } = new();

    /// <summary>How long to wait before answering a request it has already accepted and recorded (a slow provider; a sender that dies meanwhile).</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>The next <paramref name="count"/> requests with a good signature get HTTP 200 with this business Code (isv.BUSINESS_LIMIT_CONTROL …).</summary>
    public void FailNext(int count, string code)
    {
        for (var i = 0; i < count; i++)
            _failures.Enqueue((code, 200));
    }

    /// <summary>The next <paramref name="count"/> requests get this HTTP status (500, 503) with the provider's error body.</summary>
    public void FailNextHttp(int count, int status)
    {
        for (var i = 0; i < count; i++)
            _failures.Enqueue((null, status));
    }

    /// <summary>The server settings (environment variables) that point a server at this stand-in.</summary>
    public IEnumerable<KeyValuePair<string, string>> ServerSettings()
    {
        const string a = "Irrigation__Notifications__Aliyun__";
        yield return new(a + "AccessKeyId", AccessKeyId);
        yield return new(a + "AccessKeySecret", AccessKeySecret);
        yield return new(a + "SmsEndpoint", Endpoint);
        yield return new(a + "VoiceEndpoint", Endpoint);
        yield return new(a + "SignName", "灌区泵站");
        yield return new(a + "SmsTemplateCode", "SMS_000001");
        yield return new(a + "VoiceTtsCode", "TTS_000001");
        yield return new(a + "CalledShowNumber", "057100000000");
    }

    // RFC 3986 unreserved kept, everything else %XY of the UTF-8 bytes: the provider's percentEncode.
    private static string Encode(string value)
    {
        var text = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
                text.Append(c);
            else
                text.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
        }

        return text.ToString();
    }

    /// <summary>The signature the provider computes for these parameters (without Signature) and method.</summary>
    public static string Signature(string method, IReadOnlyDictionary<string, string> parameters, string secret)
    {
        var canonical = string.Join("&", parameters.Where(p => p.Key != "Signature").OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Encode(p.Key) + "=" + Encode(p.Value)));
        var stringToSign = $"{method}&{Encode("/")}&{Encode(canonical)}";
#pragma warning disable CA5350 // the provider's signature version 1.0 is HMAC-SHA1
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(secret + "&"));
#pragma warning restore CA5350
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(stringToSign)));
    }

    private static Dictionary<string, string> Parse(string text)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            parameters[name] = value;
        }

        return parameters;
    }

    /// <summary>Where the server's SmsEndpoint / VoiceEndpoint point: one listener answers both actions.</summary>
    protected override async Task AnswerAsync(HttpListenerContext context)
    {
        var parameters = Parse(context.Request.Url!.Query);
        if (context.Request.HttpMethod == "POST")
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            foreach (var (k, v) in Parse(await reader.ReadToEndAsync()))
                parameters[k] = v;
        }

        var requestId = Guid.NewGuid().ToString().ToUpperInvariant();
        var action = parameters.GetValueOrDefault("Action", "");
        var (status, body) = Check(context.Request.HttpMethod, parameters, action, requestId);
        if (AnswerDelay > TimeSpan.Zero)
            await Task.Delay(AnswerDelay);
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;charset=utf-8";
        await context.Response.OutputStream.WriteAsync(bytes);
    }

    private (int Status, Dictionary<string, string> Body) Check(string method, Dictionary<string, string> p, string action, string requestId)
    {
        (int, Dictionary<string, string>) Error(int status, string code, string message)
        {
            Refused.Enqueue(new RefusedRequest(action, code, status));
            return (status, new Dictionary<string, string> { ["RequestId"] = requestId, ["HostId"] = action == "SingleCallByTts" ? "dyvmsapi.aliyuncs.com" : "dysmsapi.aliyuncs.com", ["Code"] = code, ["Message"] = message });
        }

        foreach (var required in new[] { "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Version", "Action" })
        {
            if (!p.ContainsKey(required))
                return Error(400, "MissingParameter", $"The input parameter \"{required}\" that is mandatory for processing this request is not supplied.");
        }

        if (p["AccessKeyId"] != AccessKeyId)
            return Error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
        if (p["SignatureMethod"] != "HMAC-SHA1" || p["SignatureVersion"] != "1.0")
            return Error(400, "InvalidParameter", "SignatureMethod or SignatureVersion is not supported.");
        if (!DateTimeOffset.TryParseExact(p["Timestamp"], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp))
            return Error(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.");
        if ((DateTimeOffset.UtcNow - timestamp).Duration() > TimeSpan.FromMinutes(15))
            return Error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
        var expected = Signature(method, p, AccessKeySecret);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(p["Signature"])))
            return Error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
        // Only a request with a good signature uses up its nonce (as at the provider: a forged request cannot burn one).
        if (!_nonces.TryAdd(p["SignatureNonce"], true))
            return Error(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
        if (_failures.TryDequeue(out var failure))
        {
            return failure.Code is null
                ? Error(failure.Status, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
                : Error(200, failure.Code, "触发分钟级流控Permits:1");
        }

        switch (action)
        {
            case "SendSms":
                {
                    foreach (var required in new[] { "PhoneNumbers", "SignName", "TemplateCode" })
                    {
                        if (string.IsNullOrEmpty(p.GetValueOrDefault(required)))
                            return Error(200, "isv.INVALID_PARAMETERS", $"{required} is mandatory");
                    }

                    var bizId = $"{Random.Shared.Next(100000, 999999)}^{Random.Shared.NextInt64(1_000_000_000, 9_999_999_999)}";
                    Sms.Enqueue(new AcceptedSms(p["PhoneNumbers"], p["SignName"], p["TemplateCode"], p.GetValueOrDefault("TemplateParam", ""), p.GetValueOrDefault("OutId", ""), bizId, requestId, DateTimeOffset.UtcNow));
                    return (200, new Dictionary<string, string> { ["Code"] = "OK", ["Message"] = "OK", ["BizId"] = bizId, ["RequestId"] = requestId });
                }

            case "SingleCallByTts":
                {
                    foreach (var required in new[] { "CalledNumber", "CalledShowNumber", "TtsCode" })
                    {
                        if (string.IsNullOrEmpty(p.GetValueOrDefault(required)))
                            return Error(200, "isv.INVALID_PARAMETERS", $"{required} is mandatory");
                    }

                    var callId = $"{Random.Shared.NextInt64(100_000_000_000, 999_999_999_999)}^{Random.Shared.Next(10_000_000, 99_999_999)}";
                    Calls.Enqueue(new AcceptedCall(p["CalledNumber"], p["CalledShowNumber"], p["TtsCode"], p.GetValueOrDefault("TtsParam", ""), p.GetValueOrDefault("OutId", ""), callId, requestId, DateTimeOffset.UtcNow));
                    return (200, new Dictionary<string, string> { ["Code"] = "OK", ["Message"] = "OK", ["CallId"] = callId, ["RequestId"] = requestId });
                }

            default:
                return Error(404, "InvalidAction.NotFound", $"Specified api is not found, please check your url and method. ({action})");
        }
    }
}
