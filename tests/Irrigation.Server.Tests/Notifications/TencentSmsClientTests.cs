using Irrigation.Server.Notifications;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Tests.Notifications;

/// <summary>The server's Tencent Cloud SMS client against the stand-in on loopback, which checks TC3 signatures and timestamps as Tencent does.</summary>
public sealed class TencentSmsClientTests
{
    private const string Param = "{\"station\":\"城东机埠\",\"alarm\":\"网关离线\",\"level\":\"紧急\",\"time\":\"12-05 02:40\"}";

    private static TencentSmsClient Client(TencentSmsStandIn standIn, string? key = null, TimeSpan shift = default) => new(Options.Create(new NotificationOptions
    {
        Tencent = new TencentOptions { SecretId = standIn.SecretId, SecretKey = key ?? standIn.SecretKey, Endpoint = standIn.Endpoint, SmsSdkAppId = "1400000001", SignName = "灌区泵站", TemplateId = "1000001" },
    }), new ShiftedTime(shift));

    [Fact]
    public async Task SendSms_SignedRequest_AcceptedWithSerialNo_ParametersInTemplateOrder()
    {
        await using var standIn = new TencentSmsStandIn();
        using var client = Client(standIn);
        var result = await client.SendSmsAsync("13800000001", Param, "42", CancellationToken.None);
        Assert.True(result.Ok, result.Error);
        var sms = Assert.Single(standIn.Sms);
        Assert.Equal(("+8613800000001", "1400000001", "灌区泵站", "1000001", "42"), (sms.PhoneNumber, sms.SmsSdkAppId, sms.SignName, sms.TemplateId, sms.SessionContext));
        Assert.Equal(["城东机埠", "网关离线", "紧急", "12-05 02:40"], sms.TemplateParams);
        Assert.Equal((sms.SerialNo, sms.RequestId), (result.ProviderId, result.RequestId));
    }

    [Fact]
    public async Task SendSms_WrongKey_StaleClock_PerNumberLimit_AreFailuresNamingTencentsCode()
    {
        await using var standIn = new TencentSmsStandIn();
        using (var wrong = Client(standIn, key: "not-the-key"))
            Assert.StartsWith("AuthFailure.SignatureFailure", (await wrong.SendSmsAsync("13800000001", Param, "1", CancellationToken.None)).Error, StringComparison.Ordinal);
        using (var stale = Client(standIn, shift: TimeSpan.FromMinutes(-10)))
            Assert.StartsWith("AuthFailure.SignatureExpire", (await stale.SendSmsAsync("13800000001", Param, "2", CancellationToken.None)).Error, StringComparison.Ordinal);
        standIn.FailNext.Enqueue("LimitExceeded.PhoneNumberDailyLimit");
        using var client = Client(standIn);
        var limited = await client.SendSmsAsync("13800000001", Param, "3", CancellationToken.None);
        Assert.Equal(SendFailure.ProviderCode, limited.Failure);
        Assert.StartsWith("LimitExceeded.PhoneNumberDailyLimit", limited.Error, StringComparison.Ordinal);
        Assert.Empty(standIn.Sms);
    }

    [Fact]
    public void StandIn_AgreesWithTheServersSigner_OnTheDocumentationsExample()
    {
        const string payload = "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
        var server = TencentSignature.Signature("Gu5t9xGARNpq86cd98joQYCN3*******", "cvm", 1551113065,
            TencentSignature.StringToSign("cvm", 1551113065, TencentSignature.CanonicalRequest("cvm.tencentcloudapi.com", payload)));
        Assert.Equal(server, TencentSmsStandIn.Signature("Gu5t9xGARNpq86cd98joQYCN3*******", "application/json; charset=utf-8", "cvm.tencentcloudapi.com", payload, 1551113065, "cvm"));
        Assert.Equal("2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c", server);
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
