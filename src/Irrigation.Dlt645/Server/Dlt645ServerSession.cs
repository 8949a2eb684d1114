using System.IO.Pipelines;
using Irrigation.Dlt645.Diagnostics;
using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Messages;
using Microsoft.Extensions.Logging;

namespace Irrigation.Dlt645.Server;

/// <summary>
/// Serves commands arriving on one byte stream — an accepted TCP connection, or a DTU's outbound connection — until
/// the peer closes it or cancellation. Commands are answered in order, one at a time, as a meter on a bus does.
/// </summary>
public static class Dlt645ServerSession
{
    public static async Task RunAsync(Stream stream, IDlt645MeterHandler handler, Dlt645Counters counters, ILogger logger, string peer, int replyPreambleLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(logger);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                while (!buffer.IsEmpty)
                {
                    var status = Dlt645FrameFormatter.TryRead(buffer, out var frame, out var consumed, out var error);
                    if (status == Dlt645ReadStatus.Incomplete)
                        break;
                    buffer = buffer.Slice(consumed);
                    if (status == Dlt645ReadStatus.Ignored)
                        continue;
                    if (status == Dlt645ReadStatus.Malformed)
                    {
                        counters.Error(Dlt645Counters.KindOf(error.Kind));
                        logger.LogWarning("DL/T 645 server, peer {Peer}: discarded bytes: {Reason}", peer, error);
                        continue;
                    }

                    var reply = await AnswerAsync(frame!, handler, counters, logger, peer, cancellationToken);
                    if (reply is null)
                        continue;
                    var bytes = Dlt645FrameFormatter.ToArray(Dlt645MessageFormatter.ToFrame(reply), replyPreambleLength);
                    await stream.WriteAsync(bytes, cancellationToken);
                    counters.Reply();
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
            counters.Error(Dlt645ErrorKind.ConnectionFailure);
            logger.LogDebug("DL/T 645 server, peer {Peer}: connection ended: {Reason}", peer, ex.Message);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static async ValueTask<Dlt645Reply?> AnswerAsync(Dlt645Frame frame, IDlt645MeterHandler handler, Dlt645Counters counters, ILogger logger, string peer, CancellationToken cancellationToken)
    {
        if (frame.Control.IsReply)
        {
            // Another meter's reply on a shared line (or our own echo): not for us.
            return null;
        }

        counters.Request();
        if (!Dlt645MessageFormatter.TryReadRequest(frame, out var request, out var error))
        {
            counters.Error(Dlt645ErrorKind.MalformedMessage);
            logger.LogDebug("DL/T 645 server, peer {Peer}: {Frame} not served ({Reason}).", peer, frame, error);
            return null;
        }

        try
        {
            var reply = await handler.HandleAsync(request!, cancellationToken);
            if (reply is AbnormalReply)
                counters.Error(Dlt645ErrorKind.AbnormalReply);
            return reply;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            counters.Error(Dlt645ErrorKind.AbnormalReply);
            logger.LogError(ex, "DL/T 645 server, peer {Peer}: handler failed on {Request}; answered ERR other.", peer, request);
            return new AbnormalReply(frame.Address, frame.Control.Function, Dlt645ErrorFlags.Other);
        }
    }
}
