using Irrigation.Server.Notifications;

namespace Irrigation.Server.Tests.Notifications;

/// <summary>Tencent Cloud's TC3-HMAC-SHA256 against the worked example of its documentation, byte for byte.</summary>
public sealed class TencentSignatureTests
{
    // 签名方法 v3, https://cloud.tencent.com/document/api/362/4208 (the same page is under every product's API docs):
    // CVM DescribeInstances in ap-guangzhou at timestamp 1551113065 (2019-02-25), the payload below, and the example
    // credentials exactly as the page prints them (the asterisks are part of the example key).
    private const string SecretId = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
    private const string SecretKey = "Gu5t9xGARNpq86cd98joQYCN3*******";
    private const string Payload = "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
    private const long Timestamp = 1551113065;

    [Fact]
    public void Sign_DocumentExample_EveryIntermediateAsPrinted()
    {
        var canonical = TencentSignature.CanonicalRequest("cvm.tencentcloudapi.com", Payload);
        Assert.Equal(
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
            canonical);
        var stringToSign = TencentSignature.StringToSign("cvm", Timestamp, canonical);
        Assert.Equal("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031", stringToSign);
        Assert.Equal("2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c", TencentSignature.Signature(SecretKey, "cvm", Timestamp, stringToSign));
        Assert.Equal(
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
            TencentSignature.Authorization(SecretId, SecretKey, "cvm", "cvm.tencentcloudapi.com", Timestamp, Payload));
    }

    [Fact]
    public void Date_IsTheUtcDateOfTheTimestamp_NotBeijings()
    {
        // 2019-02-25 23:30 UTC is already the 26th in Beijing; the credential scope takes the UTC date.
        Assert.Equal("2019-02-25", TencentSignature.Date(new DateTimeOffset(2019, 2, 25, 23, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds()));
    }
}
