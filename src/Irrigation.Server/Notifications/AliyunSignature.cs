using System.Security.Cryptography;
using System.Text;

namespace Irrigation.Server.Notifications;

/// <summary>
/// Alibaba Cloud's RPC-style request signature, SignatureVersion 1.0 (HMAC-SHA1), as its documentation specifies
/// (https://help.aliyun.com/document_detail/101343.html for SMS; https://www.alibabacloud.com/help/en/sms/signature-method):
/// <list type="number">
/// <item>canonicalized query: every parameter but Signature, sorted by name (ordinal), name and value percent-encoded
///   (RFC 3986: A–Z a–z 0–9 - _ . ~ kept, everything else %XY of its UTF-8 bytes, upper-case hex, space %20), joined by = and &amp;;</item>
/// <item>StringToSign = HTTPMethod + "&amp;" + percentEncode("/") + "&amp;" + percentEncode(canonicalized query);</item>
/// <item>Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&amp;", UTF-8 of StringToSign)).</item>
/// </list>
/// </summary>
public static class AliyunSignature
{
    public static string PercentEncode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bytes = Encoding.UTF8.GetBytes(value);
        var text = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
                text.Append((char)b);
            else
                text.Append('%').Append(Convert.ToHexString([b]));
        }

        return text.ToString();
    }

    /// <summary>The parameters sorted by name (byte order, as Java's TreeMap in the documentation's example), encoded and joined.</summary>
    public static string CanonicalizedQuery(IEnumerable<KeyValuePair<string, string>> parameters) =>
        string.Join('&', parameters
            .Where(p => p.Key != "Signature")
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => PercentEncode(p.Key) + "=" + PercentEncode(p.Value)));

    public static string StringToSign(string httpMethod, IEnumerable<KeyValuePair<string, string>> parameters) =>
        httpMethod + "&" + PercentEncode("/") + "&" + PercentEncode(CanonicalizedQuery(parameters));

    public static string Sign(string httpMethod, IEnumerable<KeyValuePair<string, string>> parameters, string accessKeySecret)
    {
        ArgumentNullException.ThrowIfNull(accessKeySecret);
        var key = Encoding.UTF8.GetBytes(accessKeySecret + "&");
#pragma warning disable CA5350 // HMAC-SHA1 is what the provider's signature version 1.0 prescribes; it is not our choice to make
        return Convert.ToBase64String(HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(StringToSign(httpMethod, parameters))));
#pragma warning restore CA5350
    }
}
