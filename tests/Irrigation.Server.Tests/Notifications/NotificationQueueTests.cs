using Irrigation.Server.Data;
using Irrigation.Server.Notifications;
using Irrigation.Server.Tests.Data;

namespace Irrigation.Server.Tests.Notifications;

/// <summary>The durable queue in a real database, on both engines: jobs survive a new connection (a restart), each is claimed once.</summary>
public abstract class NotificationQueueTests(DatabaseProvider provider) : EngineTests(provider)
{
    public sealed class Sqlite() : NotificationQueueTests(DatabaseProvider.Sqlite);

    public sealed class PostgreSql() : NotificationQueueTests(DatabaseProvider.PostgreSql);

    /// <summary>A queue on a new database object, as after a restart or in another server instance.</summary>
    private NotificationQueue Open()
    {
        var database = Reopen();
        database.Migrate();
        return new NotificationQueue(database);
    }

    private static (string, string, string, int, string, string?, string, long) Job(string alarm, int step, long due, string channel = "sms") =>
        (alarm, channel, "raised", step, "甲", "13800000001", "{}", due);

    [Fact]
    public void ClaimDue_OnlyDueJobs_InDueOrder_AfterReopening()
    {
        Assert.Equal(3, Open().Enqueue([Job("a1", 0, 1_000), Job("a1", 1, 5_000), Job("a2", 0, 500)], nowMs: 0));
        Assert.Equal(0, Open().Enqueue([Job("a1", 0, 1_000)], nowMs: 0)); // the same step again (a re-raised event): not queued twice

        var queue = Open(); // a new database object, as after a restart
        Assert.Null(queue.ClaimDue(400));
        Assert.Equal(("a2", 0), queue.ClaimDue(1_000) is { } first ? (first.AlarmId, first.Step) : default);
        Assert.Equal(("a1", 0), queue.ClaimDue(1_000) is { } second ? (second.AlarmId, second.Step) : default);
        Assert.Null(queue.ClaimDue(1_000));
        var third = queue.ClaimDue(5_000);
        Assert.NotNull(third);
        Assert.Equal(1, third.Attempts);
    }

    [Fact]
    public async Task ClaimDue_ManySendersAtOnce_EveryJobClaimedExactlyOnce()
    {
        var queue = Open();
        queue.Enqueue(Enumerable.Range(0, 200).Select(i => Job("a" + (i % 20), i, 0)), nowMs: 0);
        var claimed = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
        {
            var own = Open(); // each sender with its own connections, as two server instances would be
            while (own.ClaimDue(1) is { } job)
                claimed.Add(job.Id);
        })));
        Assert.Equal(200, claimed.Count);
        Assert.Equal(200, claimed.Distinct().Count());
    }

    [Fact]
    public void CancelPending_StopsTheEscalation_NotWebhooksNorOtherAlarms()
    {
        var queue = Open();
        queue.Enqueue([Job("a1", 0, 0), Job("a1", 1, 10), Job("a1", 2, 20, "voice"), Job("a1", 0, 0, "webhook"), Job("a2", 0, 0)], nowMs: 0);
        var sending = queue.ClaimDue(0)!; // step 0 of a1 or a2 is being sent: not pending, not cancelled
        var cancelled = queue.CancelPending("a1", [Channels.Sms, Channels.Voice], "alarm acknowledged", 1);
        Assert.Equal(sending.AlarmId == "a1" ? 2 : 3, cancelled);
        Assert.All(queue.Steps("a1").Where(s => s.Id != sending.Id), s => Assert.Equal("cancelled", s.State));
        Assert.Equal("138****0001", queue.Steps("a1")[0].Phone);
    }

    [Fact]
    public void RecoverAbandoned_SmsNotSentAgain_WebhookSentAgain_ASendStillInTimeIsLeftAlone()
    {
        var queue = Open();
        queue.Enqueue([Job("a1", 0, 0), Job("a1", 0, 0, "webhook"), Job("a2", 0, 50)], nowMs: 0);
        Assert.NotNull(queue.ClaimDue(0));
        Assert.NotNull(queue.ClaimDue(0)); // both sending when the server "crashed"
        var recent = queue.ClaimDue(50); // claimed later: another sender may still be on it

        var interrupted = Open().RecoverAbandoned(claimedBeforeMs: 40, nowMs: 100);

        Assert.Equal([("sms", "a1")], interrupted.Select(j => (j.Channel, j.AlarmId)));
        Assert.Equal("sending", queue.Steps("a2").Single().State);
        Assert.Equal(recent!.Id, queue.Steps("a2").Single().Id);
        Assert.Equal("interrupted", queue.Steps("a1").Single().State);
        var again = Open().ClaimDue(100);
        Assert.Equal("webhook", again?.Channel);
        Assert.Equal(2, again!.Attempts);
        Assert.Null(Open().ClaimDue(100));
    }

    [Fact]
    public void Finish_AndCancel_KeepOnlyTheMaskedNumber()
    {
        var queue = Open();
        queue.Enqueue([Job("a1", 0, 0), Job("a1", 1, 10)], nowMs: 0);
        var job = queue.ClaimDue(0)!;
        Assert.Equal("13800000001", job.Phone); // the sender gets the whole number …
        queue.Finish(job.Id, JobStates.Sent, null, 1);
        queue.CancelPending("a1", [Channels.Sms], "alarm acknowledged", 2);

        Assert.Equal(2L, Convert.ToInt64(Execute("SELECT count(*) FROM notification_jobs WHERE phone = '138****0001'"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0L, Convert.ToInt64(Execute("SELECT count(*) FROM notification_jobs WHERE phone <> '138****0001'"), System.Globalization.CultureInfo.InvariantCulture)); // … the database keeps it only while the job waits
    }
}
