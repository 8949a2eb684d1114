using System.Net.Sockets;
using System.Threading.Channels;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Messages;
using Irrigation.Dlt645.Values;
using Irrigation.Links;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Dlt645.Client;

/// <summary>What one read returned: the replying meter, the identifier and the data of every frame joined.</summary>
public sealed record Dlt645ReadResult(Dlt645Address Address, Dlt645DataIdentifier Identifier, byte[] Data, int Frames);

/// <summary>
/// Async DL/T 645-2007 master over one link (a TCP socket or a DTU's transparent tunnel). Requests from concurrent
/// callers are sent one at a time — a meter bus is half-duplex — each with a timeout and bounded retries; a reply is
/// taken only when its address, function (and identifier) match the request. A lost connection is reopened on the
/// next attempt.
/// </summary>
public sealed class Dlt645Client : IAsyncDisposable
{
    private readonly IStreamConnector _connector;
    private readonly Dlt645ClientOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);

    // Cancelled by DisposeAsync so queued and in-flight requests end instead of waiting on the gate.
    private readonly CancellationTokenSource _lifetime = new();
    private Dlt645Link? _link;
    private bool _disposed;

    public Dlt645Client(IStreamConnector connector, Dlt645ClientOptions? options = null, ILogger? logger = null, Dlt645Counters? counters = null)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _options = options ?? new Dlt645ClientOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        Counters = counters ?? new Dlt645Counters();
    }

    public static Dlt645Client CreateTcp(string host, int port, Dlt645ClientOptions? options = null, ILogger? logger = null) =>
        new(new TcpStreamConnector(host, port), options, logger);

    public Dlt645Counters Counters { get; }

    public string Description => $"dlt645://{_connector.Description}";

    public bool IsConnected => _link is { IsOpen: true };

    /// <summary>
    /// Reads one data identifier (11H), fetching follow-up frames (12H) while the meter says more exist, and returns
    /// the data of all frames joined. <paramref name="address"/> may be abbreviated with high AAH bytes.
    /// </summary>
    public async Task<Dlt645ReadResult> ReadAsync(Dlt645Address address, Dlt645DataIdentifier identifier, CancellationToken cancellationToken = default)
    {
        if (address.IsBroadcast)
            throw new ArgumentException("Meters do not answer the broadcast address 999999999999; read with a meter's address.", nameof(address));
        return await UnderGateAsync(async token =>
        {
            var first = (ReadDataReply)await ExchangeAsync(new ReadDataRequest(address, identifier), r => Matches(r, address, identifier), token);
            var data = new List<byte>(first.Value.ToArray());
            var frames = 1;
            var more = first.HasFollowUp;
            for (byte sequence = 1; more; sequence++)
            {
                if (frames > _options.MaxFollowUpFrames)
                {
                    Counters.Error(Dlt645ErrorKind.MalformedMessage);
                    throw new Dlt645Exception($"DL/T 645 {Description} meter {first.Address}: more than {_options.MaxFollowUpFrames} follow-up frames for {identifier}.");
                }

                var next = (ReadFollowUpReply)await ExchangeAsync(new ReadFollowUpRequest(first.Address, identifier, sequence), r => Matches(r, first.Address, identifier, sequence), token);
                data.AddRange(next.Value.ToArray());
                frames++;
                more = next.HasFollowUp;
            }

            return new Dlt645ReadResult(first.Address, identifier, [.. data], frames);
        }, cancellationToken);
    }

    /// <summary>Reads a known quantity and decodes its values (three for a block identifier).</summary>
    public async Task<decimal[]> ReadValuesAsync(Dlt645Address address, Dlt645Quantity quantity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(quantity);
        var result = await ReadAsync(address, quantity.Identifier, cancellationToken);
        if (!quantity.TryDecode(result.Data, out var values))
        {
            Counters.Error(Dlt645ErrorKind.MalformedMessage);
            throw new Dlt645Exception($"DL/T 645 {Description} meter {result.Address}: {quantity.Identifier} data {Convert.ToHexString(result.Data)} is not {quantity.Count} × {quantity.Format}.");
        }

        return values;
    }

    /// <summary>Reads a single-valued known quantity (voltage, power, energy...).</summary>
    public async Task<decimal> ReadValueAsync(Dlt645Address address, Dlt645Quantity quantity, CancellationToken cancellationToken = default) =>
        (await ReadValuesAsync(address, quantity, cancellationToken))[0];

    /// <summary>
    /// Asks whichever meter is on the line for its address (13H to AA AA AA AA AA AA). For commissioning: with
    /// more than one meter on a bus the replies collide, so use it on a single meter.
    /// </summary>
    public Task<Dlt645Address> ReadAddressAsync(CancellationToken cancellationToken = default) =>
        UnderGateAsync(async token =>
        {
            var reply = await ExchangeAsync(new ReadAddressRequest(), r => r is ReadAddressReply || IsAbnormalFor(r, Dlt645Function.ReadAddress), token);
            return reply.Address;
        }, cancellationToken);

    private static bool Matches(Dlt645Reply reply, Dlt645Address requested, Dlt645DataIdentifier identifier) =>
        requested.Addresses(reply.Address)
        && (reply is ReadDataReply read ? read.Identifier == identifier : IsAbnormalFor(reply, Dlt645Function.ReadData));

    private static bool Matches(Dlt645Reply reply, Dlt645Address meter, Dlt645DataIdentifier identifier, byte sequence) =>
        reply.Address == meter
        && (reply is ReadFollowUpReply next ? next.Identifier == identifier && next.Sequence == sequence : IsAbnormalFor(reply, Dlt645Function.ReadFollowUp));

    private static bool IsAbnormalFor(Dlt645Reply reply, Dlt645Function function) => reply is AbnormalReply abnormal && abnormal.Function == function;

    private async Task<T> UnderGateAsync<T>(Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            await _gate.WaitAsync(lifetime.Token);
            try
            {
                return await body(lifetime.Token);
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (OperationCanceledException) when (_disposed && !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(Dlt645Client), $"DL/T 645 {Description}: client disposed while the request was queued or in flight.");
        }
    }

    /// <summary>Sends one request (with retries) and returns the first reply that <paramref name="matches"/>.</summary>
    private async Task<Dlt645Reply> ExchangeAsync(Dlt645Request request, Func<Dlt645Reply, bool> matches, CancellationToken cancellationToken)
    {
        var frame = Dlt645FrameFormatter.ToArray(Dlt645MessageFormatter.ToFrame(request), _options.PreambleLength);
        Dlt645Exception? last = null;
        for (var attempt = 0; attempt <= _options.Retries; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Dlt645Link link;
            try
            {
                link = await EnsureConnectedAsync(cancellationToken);
            }
            catch (Dlt645ConnectionException ex)
            {
                last = ex;
                continue;
            }

            var stale = link.DiscardStaleFrames();
            if (stale > 0)
            {
                Counters.Error(Dlt645ErrorKind.UnexpectedReply);
                _logger.LogDebug("DL/T 645 {Link}: discarded {Count} late frame(s) before a new request.", Description, stale);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            try
            {
                Counters.Request();
                await link.SendAsync(frame, timeout.Token);
                var reply = await ReceiveMatchingAsync(link, request, matches, timeout.Token);
                Counters.Reply();
                if (reply is AbnormalReply abnormal)
                {
                    Counters.Error(Dlt645ErrorKind.AbnormalReply);
                    throw new Dlt645AbnormalReplyException(abnormal.Address, abnormal.Function, abnormal.Error);
                }

                return reply;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Counters.Error(Dlt645ErrorKind.Timeout);
                last = new Dlt645TimeoutException($"DL/T 645 {Description} meter {request.Address}: no reply to {request.GetType().Name} within {_options.RequestTimeout.TotalMilliseconds:0} ms (attempt {attempt + 1} of {_options.Retries + 1}).");
                _logger.LogDebug("{Message}", last.Message);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ChannelClosedException or ObjectDisposedException)
            {
                Counters.Error(Dlt645ErrorKind.ConnectionFailure);
                last = new Dlt645ConnectionException($"DL/T 645 {Description}: connection lost ({ex.Message}).", ex);
                _logger.LogInformation("DL/T 645 {Link}: connection lost: {Reason}", Description, ex.Message);
                await CloseLinkAsync();
            }
        }

        throw last ?? new Dlt645Exception($"DL/T 645 {Description}: request failed.");
    }

    private async Task<Dlt645Reply> ReceiveMatchingAsync(Dlt645Link link, Dlt645Request request, Func<Dlt645Reply, bool> matches, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await link.Frames.ReadAsync(cancellationToken);
            if (!frame.Control.IsReply)
            {
                // Our own command echoed back, as half-duplex RS-485 converters and some DTUs do: not a reply.
                continue;
            }

            if (!Dlt645MessageFormatter.TryReadReply(frame, out var reply, out var error))
            {
                Counters.Error(Dlt645ErrorKind.MalformedMessage);
                _logger.LogWarning("DL/T 645 {Link}: frame {Frame} is not a reply this library reads ({Reason}); discarded.", Description, frame, error);
                continue;
            }

            if (!matches(reply!))
            {
                Counters.Error(Dlt645ErrorKind.UnexpectedReply);
                _logger.LogDebug("DL/T 645 {Link}: reply {Reply} does not match {Request}; discarded.", Description, reply, request);
                continue;
            }

            return reply!;
        }
    }

    private async ValueTask<Dlt645Link> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_link is { IsOpen: true } open)
            return open;
        await CloseLinkAsync();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            var stream = await _connector.ConnectAsync(timeout.Token);
            _link = new Dlt645Link(stream, Counters, _logger, _connector.Description, _options.Heartbeat);
            return _link;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Counters.Error(Dlt645ErrorKind.ConnectionFailure);
            _logger.LogWarning("DL/T 645 {Link}: connect failed ({Reason}).", Description, ex.Message);
            throw new Dlt645ConnectionException($"DL/T 645 {Description}: connect failed ({ex.Message}).", ex);
        }
    }

    /// <summary>Closes the connection; the next request opens a new one.</summary>
    public async Task DisconnectAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await CloseLinkAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask CloseLinkAsync()
    {
        if (_link is null)
            return;
        var link = _link;
        _link = null;
        await link.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await _lifetime.CancelAsync();
        await _gate.WaitAsync();
        try
        {
            await CloseLinkAsync();
        }
        finally
        {
            _gate.Release();
        }
    }
}
