using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Irrigation.Server.Notifications;

/// <summary>
/// Tencent Cloud API signature v3, TC3-HMAC-SHA256, as its documentation specifies (签名方法 v3,
/// https://cloud.tencent.com/document/api/362/4208), for a POST with a JSON body and the signed headers
/// <c>content-type;host</c>:
/// <list type="number">
/// <item>CanonicalRequest = "POST\n/\n\n" + "content-type:application/json; charset=utf-8\nhost:{host}\n" + "\n" + "content-type;host\n" + hex(SHA256(payload));</item>
/// <item>StringToSign = "TC3-HMAC-SHA256\n" + timestamp + "\n" + date + "/" + service + "/tc3_request\n" + hex(SHA256(CanonicalRequest)), date the UTC date of the timestamp;</item>
/// <item>key = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request"); Signature = hex(HMAC-SHA256(key, StringToSign));</item>
/// <item>Authorization = "TC3-HMAC-SHA256 Credential=" + SecretId + "/" + date + "/" + service + "/tc3_request, SignedHeaders=content-type;host, Signature=" + Signature.</item>
/// </list>
/// </summary>
public static class TencentSignature
{
    public const string Algorithm = "TC3-HMAC-SHA256";
    public const string ContentType = "application/json; charset=utf-8";
    public const string SignedHeaders = "content-type;host";

    public static string Date(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string CanonicalRequest(string host, string payload) =>
        $"POST\n/\n\ncontent-type:{ContentType}\nhost:{host}\n\n{SignedHeaders}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(payload)))}";

    public static string StringToSign(string service, long unixSeconds, string canonicalRequest) =>
        $"{Algorithm}\n{unixSeconds.ToString(CultureInfo.InvariantCulture)}\n{Date(unixSeconds)}/{service}/tc3_request\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

    public static string Signature(string secretKey, string service, long unixSeconds, string stringToSign)
    {
        ArgumentNullException.ThrowIfNull(secretKey);
        var date = HMACSHA256.HashData(Encoding.UTF8.GetBytes("TC3" + secretKey), Encoding.UTF8.GetBytes(Date(unixSeconds)));
        var dated = HMACSHA256.HashData(date, Encoding.UTF8.GetBytes(service));
        var signing = HMACSHA256.HashData(dated, "tc3_request"u8);
        return Hex(HMACSHA256.HashData(signing, Encoding.UTF8.GetBytes(stringToSign)));
    }

    /// <summary>The Authorization header of a request to <paramref name="host"/> with this payload at this time.</summary>
    public static string Authorization(string secretId, string secretKey, string service, string host, long unixSeconds, string payload)
    {
        var signature = Signature(secretKey, service, unixSeconds, StringToSign(service, unixSeconds, CanonicalRequest(host, payload)));
        return $"{Algorithm} Credential={secretId}/{Date(unixSeconds)}/{service}/tc3_request, SignedHeaders={SignedHeaders}, Signature={signature}";
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
