using System.Buffers.Binary;
using System.Threading.Channels;
using Irrigation.Links;
using Irrigation.Sl651.Diagnostics;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Sl651.Client;

/// <summary>
/// The remote station's session with a centre over one connection it opens (self-reporting, M2 send/confirm, §6.3.1):
/// sends one up message at a time and waits for the down frame acknowledging it (same function code and serial,
/// ended EOT/ESC/ACK), resending twice before giving the link up (§6.3.2.3). Centre queries and commands (ENQ) that
/// arrive meanwhile are answered through <see cref="ISl651CommandHandler"/>. A dropped link is reopened on the next send.
/// </summary>
public sealed class Sl651StationClient : IAsyncDisposable
{
    private const int AckBacklog = 8;
    private readonly IStreamConnector _connector;
    private readonly Sl651StationClientOptions _options;
    private readonly ISl651CommandHandler? _handler;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private Connection? _connection;

    public Sl651StationClient(IStreamConnector connector, Sl651StationClientOptions options, ISl651CommandHandler? handler = null, ILogger? logger = null, Sl651Counters? counters = null)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        _handler = handler;
        _logger = logger ?? NullLogger.Instance;
        Counters = counters ?? new Sl651Counters();
    }

    public Sl651Counters Counters { get; }

    public bool IsConnected => _connection is { Link.IsOpen: true };

    public Sl651Header Header => _options.Header;

    /// <summary>Sends a message the centre acknowledges (reports, 4CH self-reports) and returns the acknowledgement.</summary>
    public Task<Sl651Acknowledgement> SendAsync(Sl651Message message, CancellationToken cancellationToken) =>
        SendFrameAsync(Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(message, _options.Header)), cancellationToken);

    /// <summary>
    /// Sends stored frame bytes (store-and-forward keeps frames as sent, so a resend carries the original serial, §6.6.2.4)
    /// and waits for the acknowledgement of their function code and serial.
    /// </summary>
    public async Task<Sl651Acknowledgement> SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (frame.Length < Sl651FrameFormatter.MinFrameLength + 2)
            throw new ArgumentException("Not an SL 651 frame with a serial.", nameof(frame));
        var function = (Sl651FunctionCode)frame.Span[10];
        var serial = BinaryPrimitives.ReadUInt16BigEndian(frame.Span[Sl651FrameFormatter.HeaderLength..]);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        var token = linked.Token;
        await _sendGate.WaitAsync(token);
        try
        {
            Exception? last = null;
            for (var attempt = 0; attempt <= _options.Resends; attempt++)
            {
                Connection connection;
                try
                {
                    connection = await ConnectAsync(token);
                    await WriteAsync(connection, frame, token);
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException)
                {
                    Counters.Error(Sl651ErrorKind.ConnectionFailure);
                    last = ex;
                    await DropAsync();
                    throw new Sl651DeliveryException($"SL 651 {_connector.Description}: cannot send {function:X}/{serial}: {ex.Message}", ex);
                }

                try
                {
                    var ack = await WaitForAckAsync(connection, function, serial, token);
                    Counters.FrameAcknowledged();
                    return ack;
                }
                catch (TimeoutException ex)
                {
                    Counters.Error(Sl651ErrorKind.AckTimeout);
                    last = ex;
                    _logger.LogWarning("SL 651 {Link}: no acknowledgement of {Function:X2}H serial {Serial} (attempt {Attempt} of {Attempts}).", _connector.Description, (byte)function, serial, attempt + 1, _options.Resends + 1);
                }
                catch (ChannelClosedException ex)
                {
                    Counters.Error(Sl651ErrorKind.ConnectionFailure);
                    last = ex;
                    await DropAsync();
                    _logger.LogWarning("SL 651 {Link}: connection closed while waiting for {Function:X2}H serial {Serial}.", _connector.Description, (byte)function, serial);
                }
            }

            // Three silences in a row: leave the link and wait for the next chance (§6.3.2.3).
            await DropAsync();
            throw new Sl651DeliveryException($"SL 651 {_connector.Description}: {function:X}/{serial} not acknowledged after {_options.Resends + 1} attempts.", last);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Sends a message nobody acknowledges: the 2FH keep-alive (§6.6.4.2, no down frame).</summary>
    public async Task SendUnacknowledgedAsync(Sl651Message message, CancellationToken cancellationToken)
    {
        var bytes = Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(message, _options.Header));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        await _sendGate.WaitAsync(linked.Token);
        try
        {
            var connection = await ConnectAsync(linked.Token);
            await WriteAsync(connection, bytes, linked.Token);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException)
        {
            Counters.Error(Sl651ErrorKind.ConnectionFailure);
            await DropAsync();
            throw new Sl651DeliveryException($"SL 651 {_connector.Description}: cannot send keep-alive: {ex.Message}", ex);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private async Task WriteAsync(Connection connection, ReadOnlyMemory<byte> bytes, CancellationToken token)
    {
        await _writeGate.WaitAsync(token);
        try
        {
            await connection.Link.SendAsync(bytes, token);
            Counters.FrameSent();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<Sl651Acknowledgement> WaitForAckAsync(Connection connection, Sl651FunctionCode function, ushort serial, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.AckTimeout);
        try
        {
            while (true)
            {
                var ack = await connection.Acks.Reader.ReadAsync(timeout.Token);
                if (ack.Acknowledged == function && ack.Serial == serial)
                    return ack;
                _logger.LogDebug("SL 651 {Link}: ignored a late acknowledgement of {Function:X2}H serial {Serial}.", _connector.Description, (byte)ack.Acknowledged, ack.Serial);
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new TimeoutException($"No acknowledgement within {_options.AckTimeout}.");
        }
    }

    private async Task<Connection> ConnectAsync(CancellationToken token)
    {
        if (_connection is { Link.IsOpen: true } open)
            return open;
        await DropAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.ConnectTimeout);
        Stream stream;
        try
        {
            stream = await _connector.ConnectAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new TimeoutException($"Connecting to {_connector.Description} took longer than {_options.ConnectTimeout}.");
        }

        var link = new Sl651Link(stream, Counters, _logger, _connector.Description);
        var connection = new Connection(link);
        connection.Dispatch = DispatchAsync(connection, _lifetime.Token);
        _connection = connection;
        _logger.LogInformation("SL 651: connected to {Link} as station {Station}.", _connector.Description, _options.Header.Station);
        return connection;
    }

    /// <summary>Reads down frames: acknowledgements go to the waiting sender, ENQ frames to the handler.</summary>
    private async Task DispatchAsync(Connection connection, CancellationToken token)
    {
        try
        {
            await foreach (var frame in connection.Link.Frames.ReadAllAsync(token))
            {
                Counters.FrameReceived();
                if (frame.Station != _options.Header.Station || !Sl651MessageFormatter.TryReadDown(frame, out var message, out var error))
                {
                    Counters.Error(Sl651ErrorKind.MalformedMessage);
                    _logger.LogWarning("SL 651 {Link}: discarded {Frame}: {Reason}", _connector.Description, frame, frame.Station != _options.Header.Station ? $"for station {frame.Station}" : "unreadable body");
                    continue;
                }

                if (message is Sl651Acknowledgement ack)
                {
                    // NAK asks for the frame again (§6.2.2): not an acknowledgement; the sender resends after its timeout.
                    if (Sl651ControlChar.IsAcknowledgement(frame.End))
                        connection.Acks.Writer.TryWrite(ack);
                    else
                        _logger.LogWarning("SL 651 {Link}: the centre answered {Function:X2}H serial {Serial} with {End}.", _connector.Description, (byte)ack.Acknowledged, ack.Serial, Sl651ControlChar.Name(frame.End));
                }
                else if (_handler is not null)
                    _ = AnswerAsync(connection, message!, token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            _logger.LogDebug("SL 651 {Link}: dispatch ended: {Reason}", _connector.Description, ex.Message);
        }
        finally
        {
            connection.Acks.Writer.TryComplete();
        }
    }

    private async Task AnswerAsync(Connection connection, Sl651Message request, CancellationToken token)
    {
        try
        {
            var reply = await _handler!.HandleAsync(request, token);
            if (reply is not null)
                await WriteAsync(connection, Sl651FrameFormatter.ToArray(Sl651MessageFormatter.ToFrame(reply, _options.Header)), token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogWarning(ex, "SL 651 {Link}: answering {Function:X2}H failed.", _connector.Description, (byte)request.Function);
        }
    }

    private async Task DropAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is null)
            return;
        await connection.Link.DisposeAsync();
        if (connection.Dispatch is { } dispatch)
            await dispatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        await DropAsync();
        _lifetime.Dispose();
        _sendGate.Dispose();
        _writeGate.Dispose();
    }

    private sealed class Connection(Sl651Link link)
    {
        public Sl651Link Link { get; } = link;

        public Channel<Sl651Acknowledgement> Acks { get; } = Channel.CreateBounded<Sl651Acknowledgement>(new BoundedChannelOptions(AckBacklog) { FullMode = BoundedChannelFullMode.DropOldest });

        public Task? Dispatch { get; set; }
    }
}
