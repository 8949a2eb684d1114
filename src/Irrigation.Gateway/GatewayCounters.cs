namespace Irrigation.Gateway;

/// <summary>What the gateway did, for its periodic log line, tests and the benchmark.</summary>
public sealed class GatewayCounters
{
    private long _polls;
    private long _pollFailures;
    private long _telemetryQueued;
    private long _published;
    private long _commandsReceived;
    private long _commandsInvalid;
    private long _commandsExecuted;
    private long _repairRequests;
    private long _repaired;
    private long _repairMissing;

    public long Polls => Interlocked.Read(ref _polls);

    public long PollFailures => Interlocked.Read(ref _pollFailures);

    public long TelemetryMessages => Interlocked.Read(ref _telemetryQueued);

    public long Published => Interlocked.Read(ref _published);

    public long CommandsReceived => Interlocked.Read(ref _commandsReceived);

    public long CommandsInvalid => Interlocked.Read(ref _commandsInvalid);

    public long CommandsExecuted => Interlocked.Read(ref _commandsExecuted);

    public void Poll(bool ok)
    {
        Interlocked.Increment(ref _polls);
        if (!ok)
            Interlocked.Increment(ref _pollFailures);
    }

    public void TelemetryQueued() => Interlocked.Increment(ref _telemetryQueued);

    public void PublishedMessages(int count) => Interlocked.Add(ref _published, count);

    public void CommandReceived() => Interlocked.Increment(ref _commandsReceived);

    public void CommandInvalid() => Interlocked.Increment(ref _commandsInvalid);

    public void CommandExecuted() => Interlocked.Increment(ref _commandsExecuted);

    /// <summary>Repair requests answered, messages published again from the history, and messages asked for that it no longer held.</summary>
    public long RepairRequests => Interlocked.Read(ref _repairRequests);

    public long Repaired => Interlocked.Read(ref _repaired);

    public long RepairMissing => Interlocked.Read(ref _repairMissing);

    public void RepairAnswered(long republished, long missing)
    {
        Interlocked.Increment(ref _repairRequests);
        Interlocked.Add(ref _repaired, republished);
        Interlocked.Add(ref _repairMissing, missing);
    }
}
