using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Irrigation.Testing;

/// <summary>An SMS the Tencent stand-in accepted.</summary>
public sealed record TencentSms(string PhoneNumber, string SmsSdkAppId, string SignName, string TemplateId, IReadOnlyList<string> TemplateParams, string SessionContext, string SerialNo, string RequestId);

/// <summary>
/// A local stand-in for Tencent Cloud SMS (SendSms 2021-01-11) on 127.0.0.1: it recomputes the TC3-HMAC-SHA256
/// signature from the request it received (headers content-type and host, the body) with the known SecretKey —
/// its own implementation, not the server's — refuses a bad one (AuthFailure.SignatureFailure), a timestamp more
/// than 5 minutes off (AuthFailure.SignatureExpire) and an unknown SecretId (AuthFailure.SecretIdNotFound) with
/// Tencent's error JSON (HTTP 200, Response.Error), and records every SMS it accepted.
/// </summary>
public sealed partial class TencentSmsStandIn : LoopbackHttpStandIn
{
    public TencentSmsStandIn(string secretId = "AKID-test", string secretKey = "tencent-stand-in-key")
    {
        SecretId = secretId;
        SecretKey = secretKey;
    }

    public string SecretId { get; }

    public string SecretKey { get; }

    public ConcurrentQueue<TencentSms> Sms { get; } = new();

    public ConcurrentQueue<string> Refused { get; } = new();

    /// <summary>The next requests with a good signature are answered with this per-number Code (LimitExceeded.PhoneNumberDailyLimit …).</summary>
    public ConcurrentQueue<string> FailNext { get; } = new();

    /// <summary>The server settings (environment variables) that send SMS through this stand-in.</summary>
    public IEnumerable<KeyValuePair<string, string>> ServerSettings()
    {
        const string t = "Irrigation__Notifications__Tencent__";
        yield return new("Irrigation__Notifications__SmsProvider", "tencent");
        yield return new(t + "SecretId", SecretId);
        yield return new(t + "SecretKey", SecretKey);
        yield return new(t + "Endpoint", Endpoint);
        yield return new(t + "SmsSdkAppId", "1400000001");
        yield return new(t + "SignName", "灌区泵站");
        yield return new(t + "TemplateId", "1000001");
    }

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static byte[] Hmac(byte[] key, string text) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text));

    /// <summary>What Tencent computes for a request with these headers and body.</summary>
    public static string Signature(string secretKey, string contentType, string host, string body, long timestamp, string service)
    {
        var canonical = string.Join('\n', "POST", "/", "", $"content-type:{contentType.Trim().ToLowerInvariant()}", $"host:{host.Trim().ToLowerInvariant()}", "", "content-type;host", Sha256Hex(body));
        var date = DateTimeOffset.FromUnixTimeSeconds(timestamp).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var stringToSign = $"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{Sha256Hex(canonical)}";
        var key = Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("TC3" + secretKey), date), service), "tc3_request");
        return Convert.ToHexStringLower(Hmac(key, stringToSign));
    }

    [GeneratedRegex("^TC3-HMAC-SHA256 Credential=(?<id>[^/]+)/(?<date>[0-9-]+)/(?<service>[a-z]+)/tc3_request, SignedHeaders=(?<signed>[^,]+), Signature=(?<sig>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationHeader();

    protected override async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var answer = Answer(context.Request, body, Guid.NewGuid().ToString());
        var bytes = Encoding.UTF8.GetBytes(answer.ToJsonString());
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(bytes);
    }

    private JsonObject Answer(HttpListenerRequest request, string body, string requestId)
    {
        JsonObject Error(string code, string message)
        {
            Refused.Enqueue(code);
            return new JsonObject { ["Response"] = new JsonObject { ["Error"] = new JsonObject { ["Code"] = code, ["Message"] = message }, ["RequestId"] = requestId } };
        }

        var match = AuthorizationHeader().Match(request.Headers["Authorization"] ?? "");
        if (!match.Success || match.Groups["signed"].Value != "content-type;host")
            return Error("AuthFailure.InvalidAuthorization", "Authorization header is malformed.");
        if (match.Groups["id"].Value != SecretId)
            return Error("AuthFailure.SecretIdNotFound", "The SecretId is not found.");
        if (!long.TryParse(request.Headers["X-TC-Timestamp"], CultureInfo.InvariantCulture, out var timestamp) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp) > 300)
            return Error("AuthFailure.SignatureExpire", "Signature expired. Timestamp and server time cannot differ by more than five minutes.");
        var expected = Signature(SecretKey, request.ContentType ?? "", request.Headers["Host"] ?? "", body, timestamp, match.Groups["service"].Value);
        if (match.Groups["service"].Value != "sms" || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(match.Groups["sig"].Value)))
            return Error("AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.");
        if (request.Headers["X-TC-Action"] != "SendSms" || request.Headers["X-TC-Version"] != "2021-01-11")
            return Error("InvalidAction", "The action or version is not supported.");

        var json = JsonNode.Parse(body)!;
        var phone = json["PhoneNumberSet"]![0]!.GetValue<string>();
        var serial = $"2433:{Random.Shared.NextInt64(100_000_000_000, 999_999_999_999)}";
        var context = json["SessionContext"]?.GetValue<string>() ?? "";
        var code = FailNext.TryDequeue(out var failure) ? failure : "Ok";
        if (code == "Ok")
        {
            Sms.Enqueue(new TencentSms(phone, json["SmsSdkAppId"]!.GetValue<string>(), json["SignName"]!.GetValue<string>(), json["TemplateId"]!.GetValue<string>(),
                json["TemplateParamSet"]!.AsArray().Select(p => p!.GetValue<string>()).ToList(), context, serial, requestId));
        }

        var status = new JsonObject
        {
            ["SerialNo"] = code == "Ok" ? serial : "", ["PhoneNumber"] = phone, ["Fee"] = code == "Ok" ? 1 : 0, ["SessionContext"] = context,
            ["Code"] = code, ["Message"] = code == "Ok" ? "send success" : "the number reached its daily limit", ["IsoCode"] = "CN",
        };
        return new JsonObject { ["Response"] = new JsonObject { ["SendStatusSet"] = new JsonArray(status), ["RequestId"] = requestId } };
    }
}
