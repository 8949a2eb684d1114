using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;
using Irrigation.Links;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Pdu;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Modbus.Client;

/// <summary>
/// Async Modbus master over one link. TCP and RTU differ only in the <see cref="IModbusFramer"/>.
/// Requests from concurrent callers are queued and sent one at a time — a serial line behind a DTU can carry
/// only one — each with a timeout and bounded retries; a lost connection is reopened on the next attempt, and
/// repeated connect failures back off exponentially (with jitter) and fail fast meanwhile so callers polling
/// many stations are never stalled by one dead slave.
/// </summary>
public sealed class ModbusClient : IModbusMaster
{
    private readonly IModbusFramer _framer;
    private readonly IStreamConnector _connector;
    private readonly ModbusClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    // Cancelled by DisposeAsync so queued and in-flight requests end (ObjectDisposedException) instead of hanging
    // on the gate or reconnecting a disposed client. Neither this nor _gate is disposed: no handles are allocated.
    private readonly CancellationTokenSource _lifetime = new();
    private ModbusLink? _link;
    private ushort _transactionId;
    private int _connectFailures;
    private DateTimeOffset _nextConnectAttempt = DateTimeOffset.MinValue;
    private bool _disposed;

    public ModbusClient(IModbusFramer framer, IStreamConnector connector, ModbusClientOptions? options = null, ILogger? logger = null, ModbusCounters? counters = null, TimeProvider? timeProvider = null)
    {
        _framer = framer ?? throw new ArgumentNullException(nameof(framer));
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _options = options ?? new ModbusClientOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        Counters = counters ?? new ModbusCounters();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>A Modbus TCP client (MBAP framing).</summary>
    public static ModbusClient CreateTcp(string host, int port, ModbusClientOptions? options = null, ILogger? logger = null) =>
        new(ModbusTcpFramer.Instance, new TcpStreamConnector(host, port), options, logger);

    /// <summary>A client sending RTU frames (with CRC) over a TCP connection, as to a serial server or DTU.</summary>
    public static ModbusClient CreateRtuOverTcp(string host, int port, ModbusClientOptions? options = null, ILogger? logger = null) =>
        new(ModbusRtuFramer.Instance, new TcpStreamConnector(host, port), options, logger);

    public ModbusCounters Counters { get; }

    public string Description => $"{_framer.Name}://{_connector.Description}";

    /// <summary>True while a connection is open.</summary>
    public bool IsConnected => _link is { IsOpen: true };

    public async Task<bool[]> ReadCoilsAsync(byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken = default) =>
        await ReadBitsAsync(ModbusFunctionCode.ReadCoils, unitId, startAddress, count, cancellationToken);

    public async Task<bool[]> ReadInputsAsync(byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken = default) =>
        await ReadBitsAsync(ModbusFunctionCode.ReadDiscreteInputs, unitId, startAddress, count, cancellationToken);

    public Task<ushort[]> ReadHoldingRegistersAsync(byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(ModbusFunctionCode.ReadHoldingRegisters, unitId, startAddress, count, cancellationToken);

    public Task<ushort[]> ReadInputRegistersAsync(byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(ModbusFunctionCode.ReadInputRegisters, unitId, startAddress, count, cancellationToken);

    public async Task WriteSingleCoilAsync(byte unitId, ushort address, bool value, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(unitId, new WriteSingleCoilRequest(address, value), cancellationToken);
        ExpectEcho(response, address, value ? ModbusLimits.CoilOn : ModbusLimits.CoilOff);
    }

    public async Task WriteSingleRegisterAsync(byte unitId, ushort address, ushort value, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(unitId, new WriteSingleRegisterRequest(address, value), cancellationToken);
        ExpectEcho(response, address, value);
    }

    public async Task WriteMultipleCoilsAsync(byte unitId, ushort startAddress, bool[] values, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(unitId, new WriteMultipleCoilsRequest(startAddress, values), cancellationToken);
        ExpectEcho(response, startAddress, (ushort)values.Length);
    }

    public async Task WriteMultipleRegistersAsync(byte unitId, ushort startAddress, ushort[] values, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(unitId, new WriteMultipleRegistersRequest(startAddress, values), cancellationToken);
        ExpectEcho(response, startAddress, (ushort)values.Length);
    }

    public async Task<ModbusResponse> SendAsync(byte unitId, ModbusRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Encode first: a request that breaks the spec's limits is the caller's bug and never reaches the wire.
        var pdu = EncodePdu(request);
        var frame = ArrayPool<byte>.Shared.Rent(_framer.MaxFrameLength);
        try
        {
            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            await _gate.WaitAsync(lifetime.Token);
            try
            {
                return await SendWithRetriesAsync(unitId, request, frame, pdu, lifetime.Token);
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (OperationCanceledException) when (_disposed && !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(ModbusClient), $"Modbus {Description}: client disposed while the request was queued or in flight.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private static byte[] EncodePdu(ModbusRequest request)
    {
        Span<byte> pdu = stackalloc byte[ModbusPduFormatter.MaxPduLength];
        var length = ModbusPduFormatter.WriteRequest(request, pdu);
        return pdu[..length].ToArray();
    }

    private async Task<ModbusResponse> SendWithRetriesAsync(byte unitId, ModbusRequest request, byte[] frameBuffer, byte[] pdu, CancellationToken cancellationToken)
    {
        ModbusException? last = null;
        for (var attempt = 0; attempt <= _options.Retries; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ModbusLink link;
            try
            {
                link = await EnsureConnectedAsync(cancellationToken);
            }
            catch (ModbusConnectionException ex)
            {
                last = ex;
                continue;
            }

            var stale = link.DiscardStaleFrames();
            if (stale > 0)
            {
                Counters.Error(ModbusErrorKind.UnexpectedResponse);
                _logger.LogDebug("Modbus {Link}: discarded {Count} late response(s) before a new request.", Description, stale);
            }

            var transactionId = ++_transactionId;
            var length = _framer.WriteFrame(frameBuffer, transactionId, unitId, pdu);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            try
            {
                Counters.Request();
                await link.SendAsync(frameBuffer.AsMemory(0, length), timeout.Token);
                var response = await ReceiveMatchingAsync(link, transactionId, unitId, request.Function, timeout.Token);
                Counters.Response();
                if (response is ExceptionResponse exception)
                {
                    Counters.Error(ModbusErrorKind.ExceptionResponse);
                    throw new ModbusSlaveException(unitId, exception.FunctionCode, exception.Code);
                }

                return response;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Counters.Error(ModbusErrorKind.Timeout);
                last = new ModbusTimeoutException($"Modbus {Description} unit {unitId}: no response to function 0x{(byte)request.Function:X2} within {_options.RequestTimeout.TotalMilliseconds:0} ms (attempt {attempt + 1} of {_options.Retries + 1}).");
                _logger.LogDebug("{Message}", last.Message);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ChannelClosedException or ObjectDisposedException)
            {
                Counters.Error(ModbusErrorKind.ConnectionFailure);
                last = new ModbusConnectionException($"Modbus {Description}: connection lost ({ex.Message}).", ex);
                _logger.LogInformation("Modbus {Link}: connection lost: {Reason}", Description, ex.Message);
                await CloseLinkAsync();
            }
        }

        throw last ?? new ModbusException($"Modbus {Description}: request failed.");
    }

    private async Task<ModbusResponse> ReceiveMatchingAsync(ModbusLink link, ushort transactionId, byte unitId, ModbusFunctionCode function, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await link.Frames.ReadAsync(cancellationToken);
            if (_framer.HasTransactionIds && frame.TransactionId != transactionId)
            {
                Counters.Error(ModbusErrorKind.UnexpectedResponse);
                _logger.LogDebug("Modbus {Link}: response for transaction {Got} while waiting for {Want}; discarded.", Description, frame.TransactionId, transactionId);
                continue;
            }

            if (!ModbusPduFormatter.TryReadResponse(frame.Pdu, out var response, out var error))
            {
                Counters.Error(ModbusErrorKind.MalformedPdu);
                _logger.LogWarning("Modbus {Link} unit {Unit}: malformed response PDU ({Reason}); discarded.", Description, frame.UnitId, error);
                continue;
            }

            // Unit 0 is broadcast on a serial line and is not answered; some TCP gateways answer with 0 or 255.
            var unitMatches = frame.UnitId == unitId || (_framer.HasTransactionIds && unitId is 0 or 255);
            var functionMatches = (byte)response!.Function == (byte)function || (response is ExceptionResponse e && e.FunctionCode == (byte)function);
            if (!unitMatches || !functionMatches)
            {
                Counters.Error(ModbusErrorKind.UnexpectedResponse);
                _logger.LogDebug("Modbus {Link}: response from unit {Unit} function 0x{Function:X2} does not match the request; discarded.", Description, frame.UnitId, (byte)response.Function);
                continue;
            }

            return response;
        }
    }

    private async ValueTask<ModbusLink> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_link is { IsOpen: true } open)
            return open;
        await CloseLinkAsync();

        var now = _time.GetUtcNow();
        if (now < _nextConnectAttempt)
            throw new ModbusConnectionException($"Modbus {Description}: backing off after {_connectFailures} failed connects; next attempt at {_nextConnectAttempt:HH:mm:ss}.");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            var stream = await _connector.ConnectAsync(timeout.Token);
            _link = new ModbusLink(stream, _framer, Counters, _logger, _connector.Description);
            if (_connectFailures > 0)
                _logger.LogInformation("Modbus {Link}: connected after {Failures} failed attempt(s).", Description, _connectFailures);
            _connectFailures = 0;
            _nextConnectAttempt = DateTimeOffset.MinValue;
            return _link;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Counters.Error(ModbusErrorKind.ConnectionFailure);
            _connectFailures++;
            var delay = ReconnectDelay(_connectFailures);
            _nextConnectAttempt = _time.GetUtcNow() + delay;
            _logger.LogWarning("Modbus {Link}: connect failed ({Reason}); failure {Count}, next attempt in {Delay:0.0} s.", Description, ex.Message, _connectFailures, delay.TotalSeconds);
            throw new ModbusConnectionException($"Modbus {Description}: connect failed ({ex.Message}).", ex);
        }
    }

    /// <summary>No wait after one failure, then ReconnectDelay × 2^(n-2) capped at MaxReconnectDelay, ±20 % jitter.</summary>
    internal TimeSpan ReconnectDelay(int failures)
    {
        if (failures <= 1)
            return TimeSpan.Zero;
        var exponent = Math.Min(failures - 2, 20);
        var delay = Math.Min(_options.ReconnectDelay.TotalMilliseconds * Math.Pow(2, exponent), _options.MaxReconnectDelay.TotalMilliseconds);
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(Math.Min(delay * jitter, _options.MaxReconnectDelay.TotalMilliseconds));
    }

    /// <summary>
    /// Forgets earlier connect failures so the next request connects at once — for links whose far end announces
    /// itself (a DTU that has just registered) rather than being dialled.
    /// </summary>
    public void ResetBackoff()
    {
        _connectFailures = 0;
        _nextConnectAttempt = DateTimeOffset.MinValue;
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

    private async Task<bool[]> ReadBitsAsync(ModbusFunctionCode function, byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken)
    {
        var response = await SendAsync(unitId, new ReadRequest(function, startAddress, count), cancellationToken);
        if (response is not ReadBitsResponse bits || bits.Bits.Length < count || bits.Bits.Length - count >= 8)
            throw Mismatch($"expected {count} bits");
        return bits.Bits[..count];
    }

    private async Task<ushort[]> ReadRegistersAsync(ModbusFunctionCode function, byte unitId, ushort startAddress, ushort count, CancellationToken cancellationToken)
    {
        var response = await SendAsync(unitId, new ReadRequest(function, startAddress, count), cancellationToken);
        if (response is not ReadRegistersResponse registers || registers.Registers.Length != count)
            throw Mismatch($"expected {count} registers, got {(response as ReadRegistersResponse)?.Registers.Length}");
        return registers.Registers;
    }

    private void ExpectEcho(ModbusResponse response, ushort address, ushort value)
    {
        var ok = response switch
        {
            WriteSingleResponse single => single.Address == address && single.Value == value,
            WriteMultipleResponse multiple => multiple.StartAddress == address && multiple.Quantity == value,
            _ => false,
        };
        if (!ok)
            throw Mismatch("write response does not echo the request");
    }

    private ModbusException Mismatch(string detail)
    {
        Counters.Error(ModbusErrorKind.MalformedPdu);
        return new ModbusException($"Modbus {Description}: response does not fit the request: {detail}.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await _lifetime.CancelAsync();

        // Wait for the request in flight (now cancelled) to leave, so it cannot reopen the link behind us.
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
