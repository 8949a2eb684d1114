using Irrigation.Server.Notifications;

namespace Irrigation.Server.Tests.Notifications;

/// <summary>Alibaba Cloud's RPC signature (version 1.0, HMAC-SHA1) against the examples its documentation prints, byte for byte.</summary>
public sealed class AliyunSignatureTests
{
    // The RPC signature document's example: DescribeRegions, AccessKeyId testid, AccessKeySecret testsecret (so the HMAC
    // key is "testsecret&"). Source: https://developer.aliyun.com/ask/210168 ("API 签名机制(示例)", Alibaba Cloud's own
    // ECS signature page as republished on its developer site; the English signature pages, e.g.
    // https://help.aliyun.com/en/cmn/developer-reference/signature-mechanism, show the same signature value). That
    // example spells the parameter "TimeStamp", and its signature is computed over that spelling.
    private static readonly Dictionary<string, string> DescribeRegions = new(StringComparer.Ordinal)
    {
        ["TimeStamp"] = "2016-02-23T12:46:24Z",
        ["Format"] = "XML",
        ["AccessKeyId"] = "testid",
        ["Action"] = "DescribeRegions",
        ["SignatureMethod"] = "HMAC-SHA1",
        ["SignatureNonce"] = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        ["Version"] = "2014-05-26",
        ["SignatureVersion"] = "1.0",
    };

    [Fact]
    public void Sign_RpcDocumentExample_GivesTheDocumentedStringToSignAndSignature()
    {
        Assert.Equal(
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
            AliyunSignature.StringToSign("GET", DescribeRegions));
        Assert.Equal("CT9X0VtwR86fNWSnsc6v8YGOjuE=", AliyunSignature.Sign("GET", DescribeRegions, "testsecret"));
        // The signature then travels percent-encoded, as the example's final URL shows it.
        Assert.Equal("CT9X0VtwR86fNWSnsc6v8YGOjuE%3D", AliyunSignature.PercentEncode(AliyunSignature.Sign("GET", DescribeRegions, "testsecret")));
    }

    // The SMS documentation's own example ("如何生成请求签名", https://help.aliyun.com/document_detail/101343.html):
    // AccessKeyId testId, AccessKeySecret testSecret, SendSms to 15300000001 with the test signature 阿里云短信测试专用
    // (the current page masks the number as 1530000****; earlier editions printed it whole, with these values).
    private static readonly Dictionary<string, string> SendSms = new(StringComparer.Ordinal)
    {
        ["SignatureMethod"] = "HMAC-SHA1",
        ["SignatureNonce"] = "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        ["AccessKeyId"] = "testId",
        ["SignatureVersion"] = "1.0",
        ["Timestamp"] = "2017-07-12T02:42:19Z",
        ["Format"] = "XML",
        ["Action"] = "SendSms",
        ["Version"] = "2017-05-25",
        ["RegionId"] = "cn-hangzhou",
        ["PhoneNumbers"] = "15300000001",
        ["SignName"] = "阿里云短信测试专用",
        ["TemplateParam"] = "{\"customer\":\"test\"}",
        ["TemplateCode"] = "SMS_71390007",
        ["OutId"] = "123",
    };

    [Fact]
    public void Sign_SmsDocumentExample_ChineseSignNameAndJsonTemplateParam_GivesTheDocumentedSignature()
    {
        Assert.Equal(
            "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25",
            AliyunSignature.CanonicalizedQuery(SendSms));
        Assert.Equal("zJDF+Lrzhj/ThnlvIToysFRq6t4=", AliyunSignature.Sign("GET", SendSms, "testSecret"));
    }

    [Fact]
    public void Sign_TimestampSpelledAsTheSmsApiDoes_IsAnotherSignature()
    {
        // The same request with the parameter named "Timestamp" (as dysmsapi and dyvmsapi name it) sorts elsewhere and signs differently.
        var request = new Dictionary<string, string>(DescribeRegions, StringComparer.Ordinal);
        request.Remove("TimeStamp");
        request["Timestamp"] = "2016-02-23T12:46:24Z";
        Assert.Equal("OLeaidS1JvxuMvnyHOwuJ+uX5qY=", AliyunSignature.Sign("GET", request, "testsecret"));
    }

    [Theory]
    [InlineData("AZaz09-_.~", "AZaz09-_.~")]
    [InlineData(" ", "%20")] // not "+"
    [InlineData("*", "%2A")]
    [InlineData("~", "~")] // not %7E
    [InlineData("/", "%2F")]
    [InlineData(":", "%3A")]
    [InlineData("+", "%2B")]
    [InlineData("城东", "%E5%9F%8E%E4%B8%9C")]
    public void PercentEncode_FollowsTheProvidersRules(string value, string expected) => Assert.Equal(expected, AliyunSignature.PercentEncode(value));

    [Fact]
    public void Sign_AgreesWithTheStandInsIndependentImplementation_ForPost()
    {
        var request = new Dictionary<string, string>(SendSms, StringComparer.Ordinal) { ["TemplateParam"] = "{\"station\":\"城东机埠 1\",\"alarm\":\"水泵故障*\"}" };
        Assert.Equal(AliyunStandIn.Signature("POST", request, "s3cret"), AliyunSignature.Sign("POST", request, "s3cret"));
    }
}
