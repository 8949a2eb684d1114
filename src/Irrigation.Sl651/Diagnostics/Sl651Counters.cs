namespace Irrigation.Sl651.Diagnostics;

/// <summary>What went wrong on an SL 651 link, counted so operators see a bad line or a silent platform.</summary>
public enum Sl651ErrorKind
{
    /// <summary>Bytes before a frame that are not 7E7EH.</summary>
    Garbage,

    /// <summary>A frame with a damaged header or no end character where its length says.</summary>
    MalformedFrame,

    /// <summary>A whole frame whose CRC does not match.</summary>
    CrcMismatch,

    /// <summary>A frame whose body does not fit its function code, or for another station.</summary>
    MalformedMessage,

    /// <summary>No acknowledgement within the timeout.</summary>
    AckTimeout,

    /// <summary>Connect failed or the connection dropped.</summary>
    ConnectionFailure,

    /// <summary>Partial frame bytes dropped after the line went quiet mid-frame.</summary>
    StalePartialFrame,

    /// <summary>A pump control command refused because the station does not accept remote control.</summary>
    CommandRefused,
}

/// <summary>Thread-safe counters for one link or a whole process; a host publishes them on its own meter (observable counters).</summary>
public sealed class Sl651Counters
{
    private readonly long[] _errors = new long[Enum.GetValues<Sl651ErrorKind>().Length];
    private long _sent;
    private long _acknowledged;
    private long _received;

    public long Sent => Interlocked.Read(ref _sent);

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long Received => Interlocked.Read(ref _received);

    public long this[Sl651ErrorKind kind] => Interlocked.Read(ref _errors[(int)kind]);

    public long TotalErrors => Enum.GetValues<Sl651ErrorKind>().Sum(kind => this[kind]);

    public void FrameSent() => Interlocked.Increment(ref _sent);

    public void FrameAcknowledged() => Interlocked.Increment(ref _acknowledged);

    public void FrameReceived() => Interlocked.Increment(ref _received);

    public void Error(Sl651ErrorKind kind) => Interlocked.Increment(ref _errors[(int)kind]);

    public static Sl651ErrorKind KindOf(Framing.Sl651FrameErrorKind error) => error switch
    {
        Framing.Sl651FrameErrorKind.Garbage => Sl651ErrorKind.Garbage,
        Framing.Sl651FrameErrorKind.CrcMismatch => Sl651ErrorKind.CrcMismatch,
        _ => Sl651ErrorKind.MalformedFrame,
    };

    public override string ToString() =>
        $"sent={Sent} acknowledged={Acknowledged} received={Received} " + string.Join(' ', Enum.GetValues<Sl651ErrorKind>().Select(k => $"{k}={this[k]}"));
}
