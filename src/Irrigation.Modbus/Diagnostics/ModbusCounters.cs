namespace Irrigation.Modbus.Diagnostics;

/// <summary>What went wrong on a link, counted so operators can see a bad DTU or wiring before data is missed.</summary>
public enum ModbusErrorKind
{
    /// <summary>Bytes that can never be a frame: bad MBAP header, length out of range.</summary>
    MalformedFrame,

    /// <summary>RTU frame whose CRC does not match.</summary>
    CrcMismatch,

    /// <summary>A frame whose PDU does not decode (byte count disagrees with length, unknown function...).</summary>
    MalformedPdu,

    /// <summary>A response for another transaction id, unit or function than the one outstanding.</summary>
    UnexpectedResponse,

    /// <summary>No response within the request timeout.</summary>
    Timeout,

    /// <summary>Connect failed or the connection dropped.</summary>
    ConnectionFailure,

    /// <summary>The slave answered with a Modbus exception.</summary>
    ExceptionResponse,
}

/// <summary>Thread-safe counters for one client, one server, or a whole process when shared.</summary>
public sealed class ModbusCounters
{
    private readonly long[] _errors = new long[Enum.GetValues<ModbusErrorKind>().Length];
    private long _requests;
    private long _responses;

    public long Requests => Interlocked.Read(ref _requests);

    public long Responses => Interlocked.Read(ref _responses);

    public long this[ModbusErrorKind kind] => Interlocked.Read(ref _errors[(int)kind]);

    public long TotalErrors
    {
        get
        {
            long sum = 0;
            foreach (var kind in Enum.GetValues<ModbusErrorKind>())
                sum += this[kind];
            return sum;
        }
    }

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void Response() => Interlocked.Increment(ref _responses);

    internal void Error(ModbusErrorKind kind) => Interlocked.Increment(ref _errors[(int)kind]);

    public override string ToString() =>
        $"requests={Requests} responses={Responses} " + string.Join(' ', Enum.GetValues<ModbusErrorKind>().Select(k => $"{k}={this[k]}"));
}
