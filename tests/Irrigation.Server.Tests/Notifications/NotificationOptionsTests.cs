using Irrigation.Server.Notifications;

namespace Irrigation.Server.Tests.Notifications;

/// <summary>Bad notification settings stop the server at start-up with the key's name; secrets and numbers never appear in the message.</summary>
public sealed class NotificationOptionsTests
{
    private static NotificationOptions Valid() => new()
    {
        Aliyun = new AliyunOptions { AccessKeyId = "id", AccessKeySecret = "top-secret", SignName = "灌区", SmsTemplateCode = "SMS_1", VoiceTtsCode = "TTS_1", CalledShowNumber = "0571" },
        Rosters = [new TownRosterOptions { Town = "城东镇", Windows = [new() { From = "20:00", To = "08:00", People = [new() { Name = "甲", Phone = "13800000001" }] }] }],
    };

    [Fact]
    public void Validate_ValidRosterAndNoRosterAtAll_Pass()
    {
        Valid().Validate();
        new NotificationOptions().Validate(); // no rosters: no SMS, no Aliyun keys needed
    }

    [Theory]
    [InlineData("24:00", "Irrigation:Notifications:Rosters:0:Windows:0:From '24:00'")]
    [InlineData("8:00", "Irrigation:Notifications:Rosters:0:Windows:0:From '8:00'")]
    [InlineData("夜里", "is not a time of day HH:mm")]
    public void Validate_BadRosterTime_NamesTheKey(string from, string expected)
    {
        var options = Valid();
        options.Rosters[0].Windows[0].From = from;
        Assert.Contains(expected, Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingSecret_NamesTheKeyNotTheValue()
    {
        var options = Valid();
        options.Aliyun.AccessKeySecret = "";
        Assert.Contains("Irrigation:Notifications:Aliyun:AccessKeySecret", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadPhone_MasksTheNumber()
    {
        var options = Valid();
        options.Rosters[0].Windows[0].People[0].Phone = "0571123456789";
        var message = Assert.Throws<ArgumentException>(options.Validate).Message;
        Assert.Contains("People:0:Phone", message, StringComparison.Ordinal);
        Assert.DoesNotContain("0571123456789", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_VoiceWithoutTtsCode_SecondRosterForATown_EmptyWindow_AreErrors()
    {
        var voice = Valid();
        voice.Aliyun.VoiceTtsCode = "";
        Assert.Contains("VoiceTtsCode", Assert.Throws<ArgumentException>(voice.Validate).Message, StringComparison.Ordinal);
        voice.VoiceCalls = 0;
        voice.Validate();

        var twice = Valid();
        twice.Rosters.Add(new TownRosterOptions { Town = "城东镇", Windows = twice.Rosters[0].Windows });
        Assert.Contains("second roster", Assert.Throws<ArgumentException>(twice.Validate).Message, StringComparison.Ordinal);

        var empty = Valid();
        empty.Rosters[0].Windows[0].People.Clear();
        Assert.Contains("no one on duty", Assert.Throws<ArgumentException>(empty.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Tencent_NeedsItsKeysAndTemplate_AliyunOnlyForVoice()
    {
        var options = Valid();
        options.SmsProvider = "tencent";
        Assert.Contains("Irrigation:Notifications:Tencent:SecretId", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
        options.Tencent = new TencentOptions { SecretId = "AKID", SecretKey = "k", SmsSdkAppId = "1400000001", SignName = "灌区", TemplateId = "1" };
        options.Validate();
        options.VoiceCalls = 0;
        options.Aliyun = new AliyunOptions(); // SMS through Tencent and no calls: no Alibaba keys needed
        options.Validate();
        options.SmsProvider = "huawei";
        Assert.Contains("SmsProvider 'huawei'", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }
}
