using System.Text;
using Irrigation.Mqtt.Packets;
using Irrigation.Mqtt.Transport;
using Microsoft.Extensions.Logging;

namespace Irrigation.Mqtt.Client;

/// <summary>The connect handshake (§3.1, §3.2): transport, CONNECT, and the CONNACK within ConnectTimeout.</summary>
public sealed partial class MqttClient
{
    /// <summary>Opens one connection, or throws <see cref="MqttConnectException"/> saying why not.</summary>
    private async Task<MqttConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var stage = "connecting";
        MqttConnection? connection = null;
        try
        {
            var stream = await MqttTransport.ConnectAsync(_options, linked.Token);
            connection = new MqttConnection(stream, Interlocked.Increment(ref _generation), _endpoint, _time);
            stage = "waiting for CONNACK";
            await connection.SendAsync(BuildConnectPacket(), linked.Token);
            var answer = await connection.ReadPacketAsync(_options.MaxPacketSize, linked.Token);
            if (answer is null)
                throw Refused(MqttConnectReturnCode.TransportFailure, $"{_endpoint} closed the connection before CONNACK");
            if (answer is not MqttConnAckPacket connAck)
                throw new MqttProtocolException($"expected CONNACK, got {answer.Type.SpecName()} (§3.2)");
            if (connAck.ReturnCode != 0)
                throw Refused((MqttConnectReturnCode)connAck.ReturnCode, $"broker {_endpoint} refused the connection: {DescribeReturnCode(connAck.ReturnCode)} (CONNACK {connAck.ReturnCode})");

            connection.SessionPresent = connAck.SessionPresent;
            return connection;
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await DisposeQuietlyAsync(connection);
            throw Refused(MqttConnectReturnCode.TransportFailure, $"{_endpoint}: timed out after {_options.ConnectTimeout.TotalSeconds:0.###} s {stage}", ex);
        }
        catch (MqttProtocolException ex)
        {
            await DisposeQuietlyAsync(connection);
            Counters.OnProtocolError();
            throw Refused(MqttConnectReturnCode.TransportFailure, $"broker {_endpoint} answered CONNECT with a malformed packet: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            await DisposeQuietlyAsync(connection);
            throw Refused(MqttConnectReturnCode.TransportFailure, $"connection to {_endpoint} failed while {stage}: {ex.Message}", ex);
        }
        catch
        {
            await DisposeQuietlyAsync(connection);
            throw;
        }
    }

    private MqttConnectPacket BuildConnectPacket()
    {
        var will = _options.Will is { } w ? new MqttWill(w.Topic, w.Payload, w.QualityOfService, w.Retain) : null;
        var password = _options.Password is null ? (ReadOnlyMemory<byte>?)null : Encoding.UTF8.GetBytes(_options.Password);
        var keepAlive = (ushort)Math.Ceiling(_options.KeepAlive.TotalSeconds);
        return new MqttConnectPacket(_options.ClientId, _options.CleanSession, keepAlive, _options.Username, password, will);
    }

    /// <summary>§3.2.2.3 Table 3.1.</summary>
    internal static string DescribeReturnCode(byte code) => code switch
    {
        0 => "connection accepted",
        1 => "unacceptable protocol version",
        2 => "client identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "reserved return code",
    };

    private MqttConnectException Refused(MqttConnectReturnCode code, string message, Exception? inner = null)
    {
        _logger.LogDebug(inner, "MQTT {Endpoint} ({ClientId}): {Message}", _endpoint, _options.ClientId, message);
        return new MqttConnectException(code, message, inner);
    }

    private async ValueTask DisposeQuietlyAsync(MqttConnection? connection)
    {
        if (connection is null)
            return;
        try
        {
            await connection.DisposeAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            _logger.LogDebug(ex, "MQTT {Endpoint}: error while closing a failed connection.", _endpoint);
        }
    }
}
