using System.Buffers;
using System.IO.Pipelines;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Pdu;
using Microsoft.Extensions.Logging;

namespace Irrigation.Modbus.Server;

/// <summary>
/// Serves requests arriving on one byte stream — an accepted TCP connection, or the outbound connection a DTU
/// opens — until the peer closes it or cancellation. Requests are answered in order, one at a time.
/// </summary>
public static class ModbusServerSession
{
    public static async Task RunAsync(Stream stream, IModbusFramer framer, IModbusRequestHandler handler, ModbusCounters counters, ILogger logger, string peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(framer);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(logger);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var output = new byte[framer.MaxFrameLength];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                while (!buffer.IsEmpty)
                {
                    var status = framer.TryReadFrame(buffer, ModbusFrameDirection.Request, out var frame, out var consumed, out var error);
                    if (status == ModbusFrameStatus.Incomplete)
                        break;
                    if (status == ModbusFrameStatus.Ignored)
                    {
                        buffer = buffer.Slice(consumed);
                        continue;
                    }

                    if (status == ModbusFrameStatus.Malformed)
                    {
                        counters.Error(error.Kind == ModbusFrameErrorKind.CrcMismatch ? ModbusErrorKind.CrcMismatch : ModbusErrorKind.MalformedFrame);
                        logger.LogWarning("Modbus {Framing} server, peer {Peer}: discarded {Bytes} bytes: {Reason}", framer.Name, peer, buffer.Slice(0, consumed).Length, error);
                        buffer = buffer.Slice(consumed);
                        if (framer.HasTransactionIds)
                        {
                            // A TCP stream with a broken MBAP header has lost its framing for good: close it.
                            return;
                        }

                        continue;
                    }

                    counters.Request();
                    var unitId = frame.UnitId;
                    var transactionId = frame.TransactionId;
                    var response = await AnswerAsync(frame.Pdu, unitId, handler, counters, logger, peer, cancellationToken);
                    buffer = buffer.Slice(consumed);

                    // §2.2 of the serial line spec: broadcast (address 0) requests are never answered on RTU.
                    if (response is null || (!framer.HasTransactionIds && unitId == 0))
                        continue;
                    var length = WriteResponseFrame(framer, output, transactionId, unitId, response);
                    await stream.WriteAsync(output.AsMemory(0, length), cancellationToken);
                    counters.Response();
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    return;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Server stopping.
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            counters.Error(ModbusErrorKind.ConnectionFailure);
            logger.LogDebug("Modbus server, peer {Peer}: connection ended: {Reason}", peer, ex.Message);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static async ValueTask<ModbusResponse?> AnswerAsync(ReadOnlySequence<byte> pduBytes, byte unitId, IModbusRequestHandler handler, ModbusCounters counters, ILogger logger, string peer, CancellationToken cancellationToken)
    {
        var pdu = pduBytes.ToArray();
        var status = ModbusPduFormatter.TryReadRequest(pdu, out var request);
        if (status != RequestDecodeStatus.Ok)
        {
            counters.Error(ModbusErrorKind.MalformedPdu);
            var code = status == RequestDecodeStatus.IllegalFunction ? ModbusExceptionCode.IllegalFunction : ModbusExceptionCode.IllegalDataValue;
            logger.LogDebug("Modbus server, peer {Peer} unit {Unit}: function 0x{Function:X2} answered with {Code}.", peer, unitId, pdu.Length > 0 ? pdu[0] : 0, code);
            return pdu.Length == 0 ? null : new ExceptionResponse((byte)(pdu[0] & 0x7F), code);
        }

        try
        {
            var response = await handler.HandleAsync(unitId, request!, cancellationToken);
            if (response is ExceptionResponse)
                counters.Error(ModbusErrorKind.ExceptionResponse);
            return response;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            counters.Error(ModbusErrorKind.ExceptionResponse);
            logger.LogError(ex, "Modbus server, peer {Peer} unit {Unit}: handler failed on {Function}; answered with exception 04.", peer, unitId, request!.Function);
            return new ExceptionResponse((byte)request.Function, ModbusExceptionCode.ServerDeviceFailure);
        }
    }

    private static int WriteResponseFrame(IModbusFramer framer, byte[] output, ushort transactionId, byte unitId, ModbusResponse response)
    {
        Span<byte> pdu = stackalloc byte[ModbusPduFormatter.MaxPduLength];
        var pduLength = ModbusPduFormatter.WriteResponse(response, pdu);
        return framer.WriteFrame(output, transactionId, unitId, pdu[..pduLength]);
    }
}
