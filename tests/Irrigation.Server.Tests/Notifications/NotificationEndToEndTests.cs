using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Irrigation.Contracts;

namespace Irrigation.Server.Tests.Notifications;

/// <summary>
/// Escalation through the real system: mosquitto, influxd, firmware-sim, gateway and server as processes, the
/// Alibaba Cloud stand-in checking every signature. The roster and quiet hours are set around the current Beijing
/// time so that it is "night": the night shift is on duty and quiet hours hold back non-critical SMS.
/// </summary>
[Collection("SystemFlows")]
public sealed class NotificationEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string NightFirst = "13900000001", NightSecond = "13900000002", DayPerson = "13600000001", WestPerson = "13700000001";

    private static string Clock(DateTimeOffset beijing) => beijing.ToString("HH:mm", CultureInfo.InvariantCulture);

    /// <summary>城东镇 (st001): a night window around now with two people, the rest of the day another; 城西镇 (st002): one person all day; quiet hours around now.</summary>
    private static void Configure(SystemStackOptions options, AliyunStandIn standIn, TimeSpan escalateAfter, int voiceCalls)
    {
        var env = options.ServerEnvironment;
        foreach (var (key, value) in standIn.ServerSettings())
            env[key] = value;
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, BeijingTime.Zone);
        string nightFrom = Clock(now.AddHours(-3)), nightTo = Clock(now.AddHours(5));
        const string r = "Irrigation__Notifications__Rosters__";
        env[r + "0__Town"] = "城东镇";
        env[r + "0__Windows__0__From"] = nightTo; // the day shift: the rest of the day
        env[r + "0__Windows__0__To"] = nightFrom;
        env[r + "0__Windows__0__People__0__Name"] = "白班";
        env[r + "0__Windows__0__People__0__Phone"] = DayPerson;
        env[r + "0__Windows__1__From"] = nightFrom;
        env[r + "0__Windows__1__To"] = nightTo;
        env[r + "0__Windows__1__People__0__Name"] = "夜班甲";
        env[r + "0__Windows__1__People__0__Phone"] = NightFirst;
        env[r + "0__Windows__1__People__1__Name"] = "夜班乙";
        env[r + "0__Windows__1__People__1__Phone"] = NightSecond;
        env[r + "1__Town"] = "城西镇";
        env[r + "1__Windows__0__From"] = "00:00";
        env[r + "1__Windows__0__To"] = "00:00";
        env[r + "1__Windows__0__People__0__Name"] = "城西值班";
        env[r + "1__Windows__0__People__0__Phone"] = WestPerson;
        env["Irrigation__Notifications__QuietHours__From"] = Clock(now.AddHours(-1));
        env["Irrigation__Notifications__QuietHours__To"] = Clock(now.AddHours(2));
        env["Irrigation__Notifications__EscalateAfter"] = escalateAfter.ToString("c", CultureInfo.InvariantCulture);
        env["Irrigation__Notifications__VoiceCalls"] = voiceCalls.ToString(CultureInfo.InvariantCulture);
        env["Irrigation__Notifications__RetryDelay"] = "00:00:00.500";
        env["Irrigation__Notifications__PollInterval"] = "00:00:00.200";
        env["Irrigation__Alarms__Rules__gateway_offline__OnDelay"] = "00:00:00";
        env["Irrigation__Alarms__Rules__low_sump_level__OnDelay"] = "00:00:00";
    }

    private static async Task<JsonNode> AlarmAsync(HttpClient client, string station, string key) =>
        await Poll.UntilAsync(
            async () => JsonNode.Parse(await client.GetStringAsync(new Uri($"api/alarms?station={station}&state=open", UriKind.Relative)))!.AsArray()
                .FirstOrDefault(a => a!["key"]!.GetValue<string>() == key) ?? new JsonObject(),
            a => a["id"] is not null, Wait, TimeSpan.FromMilliseconds(300));

    private static async Task<JsonNode> NotificationsAsync(HttpClient client, string alarmId) =>
        JsonNode.Parse(await client.GetStringAsync(new Uri($"api/alarms/{alarmId}/notifications", UriKind.Relative)))!;

    private static Task<List<AcceptedSms>> SmsToAsync(AliyunStandIn standIn, string phone, int count, TimeSpan timeout) =>
        Poll.UntilAsync(() => Task.FromResult(standIn.Sms.Where(s => s.PhoneNumbers == phone).ToList()), l => l.Count >= count, timeout);

    private static Task<List<AcceptedCall>> CallsToAsync(AliyunStandIn standIn, string phone, int count, TimeSpan timeout) =>
        Poll.UntilAsync(() => Task.FromResult(standIn.Calls.Where(c => c.CalledNumber == phone).ToList()), l => l.Count >= count, timeout);

    [Fact]
    public async Task CriticalAlarmAtNight_SmsThenNextOnDutyThenVoiceCalls_AcknowledgeStopsIt_MinorWaitsForQuietHours()
    {
        await using var standIn = new AliyunStandIn();
        standIn.FailNext(1, "isv.BUSINESS_LIMIT_CONTROL"); // the provider's rate limit refuses the first SMS: retried, counted, recorded
        var options = new SystemStackOptions { Stations = 2 };
        // 城西镇's first call is due one interval after the raise and the test must acknowledge before it: 5 s leaves a
        // loaded machine room for the gateway's stop, the polls and the refused first SMS's retry (3 s flaked).
        var interval = TimeSpan.FromSeconds(5);
        Configure(options, standIn, interval, voiceCalls: 2);
        await using var stack = await SystemStack.StartAsync("notify", options);
        await stack.WaitForStationOnlineAsync("st001", Wait);
        await stack.WaitForStationOnlineAsync("st002", Wait);
        using var maintenance = await stack.SignInAsync("maintenance");
        using var viewer = await stack.SignInAsync("viewer");

        // ---- a minor alarm in quiet hours: planned, but its SMS waits for their end ----
        await stack.Simulator.SetPhysicsAsync("st002", new { level = 0.5, inflow = 0.0 });
        var low = await AlarmAsync(maintenance, "st002", "low_sump_level");
        var lowSteps = (await Poll.UntilAsync(() => NotificationsAsync(maintenance, low["id"]!.GetValue<string>()), n => n["steps"]!.AsArray().Count > 0, Wait))["steps"]!.AsArray();
        var lowStep = Assert.Single(lowSteps)!;
        Assert.Equal(("sms", "pending", "137****0001"), (lowStep["channel"]!.GetValue<string>(), lowStep["state"]!.GetValue<string>(), lowStep["phone"]!.GetValue<string>()));
        Assert.True(lowStep["dueAt"]!.GetValue<long>() > DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeMilliseconds(), "a minor alarm's SMS waits for the end of quiet hours");

        // ---- the gateway goes: gateway_offline (critical) at both stations, at night, in quiet hours ----
        await stack.StopGatewayAsync();
        var east = await AlarmAsync(maintenance, "st001", "gateway_offline");
        var west = await AlarmAsync(maintenance, "st002", "gateway_offline");
        var westId = west["id"]!.GetValue<string>();

        // 城西镇 has one person: SMS, then voice calls to them — acknowledged after the SMS, so no call ever comes.
        var westSms = Assert.Single(await SmsToAsync(standIn, WestPerson, 1, Wait));
        using (var ack = await maintenance.PostAsJsonAsync($"api/alarms/{westId}/ack", new { comment = "已派人去城西机埠" }))
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        Assert.Contains("网关离线", westSms.TemplateParam, StringComparison.Ordinal);

        // 城东镇: the first on the night shift, then the second, then voice calls in turn, bounded at two.
        var first = Assert.Single(await SmsToAsync(standIn, NightFirst, 1, Wait));
        var second = Assert.Single(await SmsToAsync(standIn, NightSecond, 1, Wait));
        var callFirst = Assert.Single(await CallsToAsync(standIn, NightFirst, 1, Wait));
        var callSecond = Assert.Single(await CallsToAsync(standIn, NightSecond, 1, Wait));
        // Steps are timed from the raise (the first SMS may have been the refused one, retried half a second later).
        var raisedAt = DateTimeOffset.FromUnixTimeMilliseconds(east["raisedAt"]!.GetValue<long>());
        Assert.True(second.At - raisedAt >= interval, $"the second SMS came {second.At - raisedAt} after the raise");
        Assert.True(callFirst.At - raisedAt >= interval * 2, $"the first call came {callFirst.At - raisedAt} after the raise");
        Assert.True(callFirst.At > second.At && callSecond.At > callFirst.At);
        Assert.Equal("TTS_000001", callFirst.TtsCode);

        await Task.Delay(interval * 2.5); // past where a third call would be, and any call to 城西镇
        Assert.Equal(2, standIn.Calls.Count);
        Assert.Single(standIn.Sms, s => s.PhoneNumbers == NightFirst);
        Assert.DoesNotContain(standIn.Sms, s => s.PhoneNumbers == DayPerson);
        Assert.DoesNotContain(standIn.Calls, c => c.CalledNumber == WestPerson);
        Assert.DoesNotContain(standIn.Refused, r => r.Code != "isv.BUSINESS_LIMIT_CONTROL"); // every signature, timestamp and nonce passed

        // ---- every attempt on the alarm: masked numbers, the provider's request ids, the refused one and its retry ----
        var eastNotes = await NotificationsAsync(maintenance, east["id"]!.GetValue<string>());
        var westNotes = await NotificationsAsync(maintenance, westId);
        var eastAttempts = eastNotes["attempts"]!.AsArray().Select(a => a!).ToList();
        Assert.Equal(
            [("sms", 0, "夜班甲", "139****0001"), ("sms", 1, "夜班乙", "139****0002"), ("voice", 2, "夜班甲", "139****0001"), ("voice", 3, "夜班乙", "139****0002")],
            eastAttempts.Where(a => a["outcome"]!.GetValue<string>() == "sent").Select(a => (a["channel"]!.GetValue<string>(), a["step"]!.GetValue<int>(), a["recipient"]!.GetValue<string>(), a["phone"]!.GetValue<string>())));
        Assert.Contains(eastAttempts, a => a["requestId"]?.GetValue<string>() == first.RequestId && a["providerId"]?.GetValue<string>() == first.BizId);
        Assert.Contains(eastAttempts, a => a["providerId"]?.GetValue<string>() == callSecond.CallId);
        var allAttempts = eastAttempts.Concat(westNotes["attempts"]!.AsArray().Select(a => a!)).ToList();
        var refused = Assert.Single(allAttempts, a => a["outcome"]!.GetValue<string>() == "failed");
        Assert.StartsWith("isv.BUSINESS_LIMIT_CONTROL", refused["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(allAttempts, a => a["jobId"]!.GetValue<long>() == refused["jobId"]!.GetValue<long>() && a["outcome"]!.GetValue<string>() == "sent" && a["attempt"]!.GetValue<int>() == 2);
        Assert.Equal(["sent", "cancelled", "cancelled"], westNotes["steps"]!.AsArray().Select(s => s!["state"]!.GetValue<string>()));
        var text = eastNotes.ToJsonString() + westNotes.ToJsonString();
        Assert.DoesNotContain(NightFirst, text, StringComparison.Ordinal);
        Assert.DoesNotContain(WestPerson, text, StringComparison.Ordinal);

        using (var forbidden = await viewer.GetAsync(new Uri($"api/alarms/{westId}/notifications", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var metrics = await viewer.GetStringAsync(new Uri("metrics", UriKind.Relative));
        Assert.Matches("irrigation_notification_failures_total\\{[^}]*reason=\"provider_code\"[^}]*\\} 1", metrics);
        Assert.Matches("irrigation_notifications_sent_total\\{channel=\"voice\"\\} 2", metrics);
        Assert.DoesNotContain(standIn.AccessKeySecret, await File.ReadAllTextAsync(Path.Combine(stack.Directory, "server-1.log")), StringComparison.Ordinal);
        Assert.DoesNotContain(NightFirst, await File.ReadAllTextAsync(Path.Combine(stack.Directory, "server-1.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerRestartMidEscalation_TheNextStepStillComes_NothingSentTwice()
    {
        await using var standIn = new AliyunStandIn();
        var options = new SystemStackOptions { Stations = 1 };
        var interval = TimeSpan.FromSeconds(8);
        Configure(options, standIn, interval, voiceCalls: 1);
        await using var stack = await SystemStack.StartAsync("notify-restart", options);
        await stack.WaitForStationOnlineAsync("st001", Wait);

        await stack.StopGatewayAsync();
        var first = Assert.Single(await SmsToAsync(standIn, NightFirst, 1, Wait));
        // Stopped right after the first step, and kept down past the moment the second one falls due.
        await stack.StopServerAsync();
        await Task.Delay(interval + TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(standIn.Sms, s => s.PhoneNumbers == NightSecond);
        await stack.StartServerAsync();

        var second = Assert.Single(await SmsToAsync(standIn, NightSecond, 1, Wait));
        var call = Assert.Single(await CallsToAsync(standIn, NightFirst, 1, Wait + interval));
        Assert.True(second.At > first.At + interval && call.At > second.At);
        await Task.Delay(interval + TimeSpan.FromSeconds(2)); // past where anything else could come
        Assert.Equal(2, standIn.Sms.Count);
        Assert.Single(standIn.Calls);
        Assert.Empty(standIn.Refused);

        using var maintenance = await stack.SignInAsync("maintenance");
        var alarm = await AlarmAsync(maintenance, "st001", "gateway_offline");
        var notes = await NotificationsAsync(maintenance, alarm["id"]!.GetValue<string>());
        Assert.Equal(["sent", "sent", "sent"], notes["steps"]!.AsArray().Select(s => s!["state"]!.GetValue<string>()));
        Assert.Equal(3, notes["attempts"]!.AsArray().Count);
    }

    [Fact]
    public async Task ServerKilledWhileTheProviderHoldsAnSms_ItIsNotSentAgain_MarkedInterrupted_TheNextStepStillComes()
    {
        await using var standIn = new AliyunStandIn();
        var options = new SystemStackOptions { Stations = 1 };
        var interval = TimeSpan.FromSeconds(8);
        Configure(options, standIn, interval, voiceCalls: 0);
        await using var stack = await SystemStack.StartAsync("notify-kill", options);
        await stack.WaitForStationOnlineAsync("st001", Wait);

        standIn.AnswerDelay = TimeSpan.FromSeconds(5); // the provider has the SMS but has not answered yet …
        await stack.StopGatewayAsync();
        await SmsToAsync(standIn, NightFirst, 1, Wait);
        await stack.KillServerAsync(); // … when the server dies: it cannot know whether the SMS went
        standIn.AnswerDelay = TimeSpan.Zero;
        await stack.StartServerAsync();

        var second = Assert.Single(await SmsToAsync(standIn, NightSecond, 1, Wait));
        using var maintenance = await stack.SignInAsync("maintenance");
        var alarm = await AlarmAsync(maintenance, "st001", "gateway_offline");
        // Judged abandoned once older than any send can take (2 × 10 s + 5 s), then interrupted, not resent.
        var steps = await Poll.UntilAsync(
            async () => (await NotificationsAsync(maintenance, alarm["id"]!.GetValue<string>()))["steps"]!.AsArray(),
            s => s[0]!["state"]!.GetValue<string>() == "interrupted", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        Assert.Equal("sent", steps[1]!["state"]!.GetValue<string>());
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Single(standIn.Sms, s => s.PhoneNumbers == NightFirst);
        Assert.Single(standIn.Sms, s => s.PhoneNumbers == NightSecond);
        Assert.True(second.At > DateTimeOffset.FromUnixTimeMilliseconds(alarm["raisedAt"]!.GetValue<long>()) + interval);
    }

    [Fact]
    public async Task SmsThroughTencentCloud_VoiceThroughAlibabaCloud_SameEscalation()
    {
        await using var aliyun = new AliyunStandIn();
        await using var tencent = new TencentSmsStandIn();
        var options = new SystemStackOptions { Stations = 1 };
        var interval = TimeSpan.FromSeconds(3);
        Configure(options, aliyun, interval, voiceCalls: 1);
        foreach (var (key, value) in tencent.ServerSettings())
            options.ServerEnvironment[key] = value;
        await using var stack = await SystemStack.StartAsync("notify-tencent", options);
        await stack.WaitForStationOnlineAsync("st001", Wait);

        await stack.StopGatewayAsync();
        var sms = await Poll.UntilAsync(() => Task.FromResult(tencent.Sms.ToList()), l => l.Count >= 2, Wait);
        Assert.Equal(["+86" + NightFirst, "+86" + NightSecond], sms.Select(s => s.PhoneNumber));
        Assert.Equal("网关离线", sms[0].TemplateParams[1]);
        var call = Assert.Single(await CallsToAsync(aliyun, NightFirst, 1, Wait));
        Assert.Empty(aliyun.Sms);
        Assert.Empty(tencent.Refused);

        using var maintenance = await stack.SignInAsync("maintenance");
        var alarm = await AlarmAsync(maintenance, "st001", "gateway_offline");
        // The stand-ins record a request before they answer it; the server records the attempt once it has the answer.
        var attempts = (await Poll.UntilAsync(() => NotificationsAsync(maintenance, alarm["id"]!.GetValue<string>()), n => n["attempts"]!.AsArray().Count >= 3, Wait))["attempts"]!.AsArray();
        Assert.Equal([sms[0].SerialNo, sms[1].SerialNo, call.CallId], attempts.Select(a => a!["providerId"]!.GetValue<string>()));
    }
}
