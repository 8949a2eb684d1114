using System.Net.Sockets;

namespace Irrigation.Links;

/// <summary>Opens the byte stream a protocol client talks over: a TCP socket, or a DTU's inbound connection.</summary>
public interface IStreamConnector
{
    /// <summary>Where the link goes, for logs ("127.0.0.1:502", "dtu station-7").</summary>
    string Description { get; }

    ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken);
}

/// <summary>Connects out over TCP: a Modbus TCP server, or a serial server passing RTU or DL/T 645 frames through.</summary>
public sealed class TcpStreamConnector : IStreamConnector
{
    private readonly string _host;
    private readonly int _port;

    public TcpStreamConnector(string host, int port)
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
public sealed class DelegateStreamConnector : IStreamConnector
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _connect;

    public DelegateStreamConnector(string description, Func<CancellationToken, ValueTask<Stream>> connect)
    {
        Description = description;
        _connect = connect ?? throw new ArgumentNullException(nameof(connect));
    }

    public string Description { get; }

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) => _connect(cancellationToken);
}
