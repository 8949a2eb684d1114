using System.Text.RegularExpressions;
using Irrigation.Server.Alarms;

namespace Irrigation.Server.Tests;

/// <summary>Alarm messages travel as codes with parameters; the web app's dictionaries translate every code the server sends.</summary>
public sealed partial class AlarmMessageTests
{
    private static Dictionary<string, string> Dictionary(string file, string prefix)
    {
        var source = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Irrigation.Web", "src", "i18n", file));
        return Entry().Matches(source).Where(m => m.Groups["key"].Value.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(m => m.Groups["key"].Value[prefix.Length..], m => m.Groups["text"].Value, StringComparer.Ordinal);
    }

    [Fact]
    public void EveryCode_HasTheSameChineseTextInTheWebApp_AndAnEnglishOneWithTheSameParameters()
    {
        var zh = Dictionary("zh-CN.ts", "alarmMessage.");
        var en = Dictionary("en.ts", "alarmMessage.");
        Assert.Equal(AlarmMessage.ChineseTemplates.Keys.Order(StringComparer.Ordinal), zh.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(zh.Keys.Order(StringComparer.Ordinal), en.Keys.Order(StringComparer.Ordinal));
        foreach (var (code, template) in AlarmMessage.ChineseTemplates)
        {
            Assert.Equal(template, zh[code]);
            Assert.Equal(Parameters(template), Parameters(en[code]));
        }

        // A scheduled run's reason is shown by the server (Chinese text) and by the app (its own dictionaries): the same words.
        var planReasons = Dictionary("zh-CN.ts", "plan.reason.");
        var commandReasons = Dictionary("zh-CN.ts", "reason.");
        foreach (var (code, text) in AlarmMessage.ChineseRunReasons)
            Assert.Equal(text, planReasons.GetValueOrDefault(code) ?? commandReasons.GetValueOrDefault(code));
        Assert.Equal(AlarmMessage.ChineseFaultKinds, Dictionary("zh-CN.ts", "faultKind."));
        Assert.Equal(AlarmMessage.ChineseFaultKinds.Keys.Order(StringComparer.Ordinal), Dictionary("en.ts", "faultKind.").Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Text_FillsTheParameters_FaultKindsInChinese_ArgsRoundTripThroughTheStore()
    {
        var message = AlarmMessage.Of("pump_fault_kinds", ("pump", 2), ("kinds", "fault_dry_run,fault_phase_loss"));
        Assert.Equal("2号泵故障：干转跳闸、缺相跳闸", message.Text);
        Assert.Equal("""{"pump":"2","kinds":"fault_dry_run,fault_phase_loss"}""", message.ArgsJson);
        Assert.Equal(message.Args, AlarmMessage.ParseArgs(message.ArgsJson));
        Assert.Equal("三相电压不平衡 12.35%", AlarmMessage.Of("voltage_imbalance", ("percent", 12.3456)).Text);
        Assert.Empty(AlarmMessage.ParseArgs("not json"));
        Assert.Throws<ArgumentException>(() => AlarmMessage.Of("no_such_code"));
    }

    private static string[] Parameters(string template) => [.. Parameter().Matches(template).Select(m => m.Value).Order(StringComparer.Ordinal)];

    [GeneratedRegex(@"^\s*'(?<key>[\w.]+)':\s*'(?<text>[^']*)',", RegexOptions.Multiline)]
    private static partial Regex Entry();

    [GeneratedRegex(@"\{\w+\}")]
    private static partial Regex Parameter();
}
