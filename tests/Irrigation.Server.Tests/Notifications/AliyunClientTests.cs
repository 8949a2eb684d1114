using System.Text.Json.Nodes;
using Irrigation.Server.Notifications;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Tests.Notifications;

/// <summary>The server's Alibaba Cloud client against the stand-in on loopback, which checks signatures, timestamps and nonces as the provider does.</summary>
public sealed class AliyunClientTests
{
    private static AliyunClient Client(AliyunStandIn standIn, TimeProvider? time = null, string? secret = null) => new(Options.Create(new NotificationOptions
    {
        Aliyun = new AliyunOptions
        {
            AccessKeyId = standIn.AccessKeyId, AccessKeySecret = secret ?? standIn.AccessKeySecret, SmsEndpoint = standIn.Endpoint, VoiceEndpoint = standIn.Endpoint,
            SignName = "灌区泵站", SmsTemplateCode = "SMS_1", VoiceTtsCode = "TTS_1", CalledShowNumber = "057100000000",
        },
    }), time ?? TimeProvider.System);

    private const string Param = "{\"station\":\"城东机埠\",\"alarm\":\"水泵故障\",\"level\":\"紧急\",\"time\":\"11-22 02:00\"}";

    [Fact]
    public async Task SendSms_SignedRequest_AcceptedWithBizIdAndRequestId_Recorded()
    {
        await using var standIn = new AliyunStandIn();
        using var client = Client(standIn);

        var result = await client.SendSmsAsync("13800000001", Param, "42", CancellationToken.None);

        Assert.True(result.Ok, result.Error);
        var sms = Assert.Single(standIn.Sms);
        Assert.Equal(("13800000001", "灌区泵站", "SMS_1", Param, "42"), (sms.PhoneNumbers, sms.SignName, sms.TemplateCode, sms.TemplateParam, sms.OutId));
        Assert.Equal(sms.BizId, result.ProviderId);
        Assert.Equal(sms.RequestId, result.RequestId);
    }

    [Fact]
    public async Task CallByTts_SignedRequest_AcceptedWithCallId()
    {
        await using var standIn = new AliyunStandIn();
        using var client = Client(standIn);
        var result = await client.CallByTtsAsync("13800000002", Param, "43", CancellationToken.None);
        Assert.True(result.Ok, result.Error);
        var call = Assert.Single(standIn.Calls);
        Assert.Equal(("13800000002", "057100000000", "TTS_1", "43"), (call.CalledNumber, call.CalledShowNumber, call.TtsCode, call.OutId));
        Assert.Equal(call.CallId, result.ProviderId);
    }

    [Fact]
    public async Task Send_WrongSecret_StaleClock_RefusedAsTheProviderDoes()
    {
        await using var standIn = new AliyunStandIn();
        using (var wrong = Client(standIn, secret: "not-the-secret"))
        {
            var result = await wrong.SendSmsAsync("13800000001", Param, "1", CancellationToken.None);
            Assert.Equal(SendFailure.HttpError, result.Failure);
            Assert.Contains("SignatureDoesNotMatch", result.Error, StringComparison.Ordinal);
        }

        using (var stale = Client(standIn, new ShiftedTime(TimeSpan.FromMinutes(-20))))
        {
            var result = await stale.SendSmsAsync("13800000001", Param, "2", CancellationToken.None);
            Assert.Contains("InvalidTimeStamp.Expired", result.Error, StringComparison.Ordinal);
        }

        Assert.Empty(standIn.Sms);
    }

    [Fact]
    public async Task StandIn_ReplayedRequest_RefusedAsNonceUsed()
    {
        await using var standIn = new AliyunStandIn();
        using var client = Client(standIn);
        var signed = client.Signed(new Dictionary<string, string>(StringComparer.Ordinal) { ["Action"] = "SendSms", ["PhoneNumbers"] = "13800000001", ["SignName"] = "灌区泵站", ["TemplateCode"] = "SMS_1" });
        using var http = new HttpClient();
        var bodies = new List<JsonNode>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await http.PostAsync(new Uri(standIn.Endpoint), new FormUrlEncodedContent(signed));
            bodies.Add(JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        }

        Assert.Equal("OK", bodies[0]["Code"]!.GetValue<string>());
        Assert.Equal("SignatureNonceUsed", bodies[1]["Code"]!.GetValue<string>());
        Assert.Single(standIn.Sms);
    }

    [Fact]
    public async Task Send_ProviderCodeOrHttp500_IsAFailureNamingIt()
    {
        await using var standIn = new AliyunStandIn();
        using var client = Client(standIn);
        standIn.FailNext(1, "isv.BUSINESS_LIMIT_CONTROL");
        standIn.FailNextHttp(1, 503);
        var limited = await client.SendSmsAsync("13800000001", Param, "1", CancellationToken.None);
        var down = await client.SendSmsAsync("13800000001", Param, "2", CancellationToken.None);
        Assert.Equal(SendFailure.ProviderCode, limited.Failure);
        Assert.StartsWith("isv.BUSINESS_LIMIT_CONTROL", limited.Error, StringComparison.Ordinal);
        Assert.NotNull(limited.RequestId);
        Assert.Equal(SendFailure.HttpError, down.Failure);
        Assert.StartsWith("HTTP 503 ServiceUnavailable", down.Error, StringComparison.Ordinal);
        Assert.True((await client.SendSmsAsync("13800000001", Param, "3", CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task Send_NothingListening_IsANetworkFailure()
    {
        var port = FreePort.Next();
        using var client = new AliyunClient(Options.Create(new NotificationOptions { Aliyun = new AliyunOptions { AccessKeyId = "a", AccessKeySecret = "b", SmsEndpoint = $"http://127.0.0.1:{port}/" } }), TimeProvider.System);
        Assert.Equal(SendFailure.Network, (await client.SendSmsAsync("13800000001", Param, "1", CancellationToken.None)).Failure);
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
