namespace Irrigation.Dlt645.Diagnostics;

/// <summary>What went wrong on a DL/T 645 link, counted so operators see a bad line or meter before data is missed.</summary>
public enum Dlt645ErrorKind
{
    /// <summary>Bytes before a frame that are neither preamble nor start (line noise, a DTU's own packets).</summary>
    Garbage,

    /// <summary>A frame without its second 68H or without its 16H where L says: damaged or cut off.</summary>
    MalformedFrame,

    /// <summary>A whole frame whose CS does not match.</summary>
    ChecksumMismatch,

    /// <summary>A frame whose data does not fit its control code (a read reply shorter than its DI...).</summary>
    MalformedMessage,

    /// <summary>A reply from another address, for another function or identifier than the one outstanding.</summary>
    UnexpectedReply,

    /// <summary>No reply within the request timeout.</summary>
    Timeout,

    /// <summary>Connect failed or the connection dropped.</summary>
    ConnectionFailure,

    /// <summary>The meter answered with an abnormal reply (D6 = 1) and an error byte.</summary>
    AbnormalReply,

    /// <summary>Partial frame bytes dropped after the line went quiet mid-frame.</summary>
    StalePartialFrame,
}

/// <summary>Thread-safe counters for one client, one server, or a whole process when shared (like ModbusCounters).</summary>
public sealed class Dlt645Counters
{
    private readonly long[] _errors = new long[Enum.GetValues<Dlt645ErrorKind>().Length];
    private long _requests;
    private long _replies;

    public long Requests => Interlocked.Read(ref _requests);

    public long Replies => Interlocked.Read(ref _replies);

    public long this[Dlt645ErrorKind kind] => Interlocked.Read(ref _errors[(int)kind]);

    public long TotalErrors => Enum.GetValues<Dlt645ErrorKind>().Sum(kind => this[kind]);

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void Reply() => Interlocked.Increment(ref _replies);

    internal void Error(Dlt645ErrorKind kind) => Interlocked.Increment(ref _errors[(int)kind]);

    /// <summary>The counter a framing error belongs to.</summary>
    internal static Dlt645ErrorKind KindOf(Framing.Dlt645FrameErrorKind error) => error switch
    {
        Framing.Dlt645FrameErrorKind.Garbage => Dlt645ErrorKind.Garbage,
        Framing.Dlt645FrameErrorKind.ChecksumMismatch => Dlt645ErrorKind.ChecksumMismatch,
        _ => Dlt645ErrorKind.MalformedFrame,
    };

    public override string ToString() =>
        $"requests={Requests} replies={Replies} " + string.Join(' ', Enum.GetValues<Dlt645ErrorKind>().Select(k => $"{k}={this[k]}"));
}
