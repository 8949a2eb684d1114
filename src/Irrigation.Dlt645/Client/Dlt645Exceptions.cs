using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Messages;

namespace Irrigation.Dlt645.Client;

/// <summary>Base of every failure a <see cref="Dlt645Client"/> reports.</summary>
public class Dlt645Exception : Exception
{
    public Dlt645Exception(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The meter answered with an abnormal reply. Not retried: asking again gets the same answer.</summary>
public sealed class Dlt645AbnormalReplyException : Dlt645Exception
{
    public Dlt645AbnormalReplyException(Dlt645Address address, Dlt645Function function, Dlt645ErrorFlags error)
        : base($"Meter {address} answered function {(byte)function:X2}H abnormally: ERR {(byte)error:X2}H ({error}).")
    {
        Address = address;
        Function = function;
        Error = error;
    }

    public Dlt645Address Address { get; }

    public Dlt645Function Function { get; }

    public Dlt645ErrorFlags Error { get; }
}

/// <summary>No valid reply within the request timeout, after every retry.</summary>
public sealed class Dlt645TimeoutException : Dlt645Exception
{
    public Dlt645TimeoutException(string message)
        : base(message)
    {
    }
}

/// <summary>The link could not be opened or was lost.</summary>
public sealed class Dlt645ConnectionException : Dlt645Exception
{
    public Dlt645ConnectionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
