using System.Net.Sockets;

namespace Irrigation.Dlt645.Client;

/// <summary>Opens the byte stream a <see cref="Dlt645Client"/> talks over: a TCP socket, or a DTU's transparent link.</summary>
public interface IDlt645Connector
{
    /// <summary>Where the link goes, for logs ("127.0.0.1:8899", "dtu station-7").</summary>
    string Description { get; }

    ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken);
}

/// <summary>Connects out to a serial server or meter gateway that passes DL/T 645 frames through TCP.</summary>
public sealed class TcpDlt645Connector : IDlt645Connector
{
    private readonly string _host;
    private readonly int _port;

    public TcpDlt645Connector(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        _host = host;
        _port = port;
    }

    public string Description => $"{_host}:{_port}";

    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(_host, _port, cancellationToken);
            return new NetworkStream(client.Client, ownsSocket: true);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}

/// <summary>A connector over a caller-supplied function, e.g. one that hands out the socket a DTU opened to us.</summary>
public sealed class DelegateDlt645Connector : IDlt645Connector
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _connect;

    public DelegateDlt645Connector(string description, Func<CancellationToken, ValueTask<Stream>> connect)
    {
        Description = description;
        _connect = connect ?? throw new ArgumentNullException(nameof(connect));
    }

    public string Description { get; }

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) => _connect(cancellationToken);
}
